//! What the engine needs from the outside world, passed in rather than reached for: the time
//! (`now`, certificate validity), randomness (`randAlphaNum`, `uuidv4`, keys) and the bounds
//! that keep a hostile chart from exhausting memory.

use std::cell::Cell;

/// A source of the current time.
pub trait Clock {
    /// Nanoseconds since the Unix epoch, UTC.
    fn now_unix_nanos(&self) -> i128;
}

/// A source of random bytes.
pub trait Entropy {
    /// Fills `buf` with random bytes.
    fn fill_bytes(&self, buf: &mut [u8]);
}

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix_nanos(&self) -> i128 {
        match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => i128::try_from(d.as_nanos()).unwrap_or(i128::MAX),
            Err(e) => -i128::try_from(e.duration().as_nanos()).unwrap_or(i128::MAX),
        }
    }
}

/// A clock stopped at one instant, for reproducible renders.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub i128);

impl Clock for FixedClock {
    fn now_unix_nanos(&self) -> i128 {
        self.0
    }
}

/// The operating system's random source.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill_bytes(&self, buf: &mut [u8]) {
        if getrandom::fill(buf).is_err() {
            // No OS randomness: fall back to a time-seeded generator rather than failing a
            // render; the values are then unpredictable but not secret.
            let seed = SystemClock.now_unix_nanos() as u64;
            SeededEntropy::new(seed).fill_bytes(buf);
        }
    }
}

/// A deterministic generator (SplitMix64), for tests and reproducible output.
#[derive(Debug)]
pub struct SeededEntropy {
    state: Cell<u64>,
}

impl SeededEntropy {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> SeededEntropy {
        SeededEntropy {
            state: Cell::new(seed),
        }
    }

    fn next_u64(&self) -> u64 {
        let mut z = self.state.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        self.state.set(z);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Entropy for SeededEntropy {
    fn fill_bytes(&self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            for (d, s) in chunk.iter_mut().zip(v.iter()) {
                *d = *s;
            }
        }
    }
}

/// Bounds on a render.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Total bytes all templates of one render may write (includes and `tpl` count too).
    pub max_output_bytes: usize,
    /// Nested `include`s of one template name before failing, as Helm's 1000.
    pub max_include_depth: usize,
    /// Nested `template` calls before failing (Go allows 100000).
    pub max_template_depth: usize,
    /// Largest chart archive, uncompressed, in bytes.
    pub max_chart_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_output_bytes: 256 * 1024 * 1024,
            max_include_depth: 1000,
            max_template_depth: 100_000,
            max_chart_bytes: 512 * 1024 * 1024,
        }
    }
}
