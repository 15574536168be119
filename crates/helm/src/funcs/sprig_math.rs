//! Sprig's math: integer functions go through cast's `ToInt64` and return `int64`; the `f`
//! variants compute in decimal (shopspring/decimal) so `addf 1.1 2.2` is exactly 3.3.

use super::convert::{to_float64, to_int64};
use super::sprig_strings::rand_below;
use super::{Registry, Ty, arg, arg_int, err};
use crate::template::value::Value;

pub(crate) fn register(r: &mut Registry) {
    use Ty::{Any, Float, Int};
    r.add("add1", &[Any], None, |_, a| {
        Ok(Value::I64(to_int64(&arg(&a, 0)).wrapping_add(1)))
    });
    r.add("add", &[], Some(Any), |_, a| {
        Ok(Value::I64(
            a.iter().fold(0i64, |s, v| s.wrapping_add(to_int64(v))),
        ))
    });
    r.add("sub", &[Any, Any], None, |_, a| {
        Ok(Value::I64(
            to_int64(&arg(&a, 0)).wrapping_sub(to_int64(&arg(&a, 1))),
        ))
    });
    r.add("div", &[Any, Any], None, |_, a| {
        let d = to_int64(&arg(&a, 1));
        if d == 0 {
            return err("runtime error: integer divide by zero");
        }
        Ok(Value::I64(to_int64(&arg(&a, 0)).wrapping_div(d)))
    });
    r.add("mod", &[Any, Any], None, |_, a| {
        let d = to_int64(&arg(&a, 1));
        if d == 0 {
            return err("runtime error: integer divide by zero");
        }
        Ok(Value::I64(to_int64(&arg(&a, 0)).wrapping_rem(d)))
    });
    r.add("mul", &[Any], Some(Any), |_, a| {
        Ok(Value::I64(
            a.iter()
                .skip(1)
                .fold(to_int64(&arg(&a, 0)), |s, v| s.wrapping_mul(to_int64(v))),
        ))
    });
    for name in ["max", "biggest"] {
        r.add(name, &[Any], Some(Any), |_, a| {
            Ok(Value::I64(a.iter().map(to_int64).max().unwrap_or(0)))
        });
    }
    r.add("min", &[Any], Some(Any), |_, a| {
        Ok(Value::I64(a.iter().map(to_int64).min().unwrap_or(0)))
    });
    r.add("maxf", &[Any], Some(Any), |_, a| {
        Ok(Value::Float(
            a.iter().map(to_float64).fold(f64::NEG_INFINITY, f64::max),
        ))
    });
    r.add("minf", &[Any], Some(Any), |_, a| {
        Ok(Value::Float(
            a.iter().map(to_float64).fold(f64::INFINITY, f64::min),
        ))
    });
    r.add("add1f", &[Any], None, |_, a| {
        Ok(Value::Float(dec_fold(
            &[arg(&a, 0), Value::Int(1)],
            Op::Add,
        )))
    });
    r.add("addf", &[], Some(Any), |_, a| {
        if a.is_empty() {
            return Ok(Value::Float(0.0));
        }
        Ok(Value::Float(dec_fold(&a, Op::Add)))
    });
    r.add("subf", &[Any], Some(Any), |_, a| {
        Ok(Value::Float(dec_fold(&a, Op::Sub)))
    });
    r.add("mulf", &[Any], Some(Any), |_, a| {
        Ok(Value::Float(dec_fold(&a, Op::Mul)))
    });
    r.add("divf", &[Any], Some(Any), |_, a| {
        if a.iter().skip(1).any(|v| to_float64(v) == 0.0) {
            return err("decimal division by 0");
        }
        Ok(Value::Float(dec_fold(&a, Op::Div)))
    });
    r.add("ceil", &[Any], None, |_, a| {
        Ok(Value::Float(to_float64(&arg(&a, 0)).ceil()))
    });
    r.add("floor", &[Any], None, |_, a| {
        Ok(Value::Float(to_float64(&arg(&a, 0)).floor()))
    });
    r.add("round", &[Any, Int], Some(Float), |_, a| {
        let val = to_float64(&arg(&a, 0));
        let places = arg_int(&a, 1) as f64;
        let round_on = match a.get(2) {
            Some(Value::Float(f)) => *f,
            _ => 0.5,
        };
        let pow = 10f64.powf(places);
        let digit = pow * val;
        let frac = digit - digit.trunc();
        let rounded = if frac >= round_on {
            digit.ceil()
        } else {
            digit.floor()
        };
        Ok(Value::Float(rounded / pow))
    });
    r.add("randInt", &[Int, Int], None, |e, a| {
        let (lo, hi) = (arg_int(&a, 0), arg_int(&a, 1));
        if hi <= lo {
            return err("invalid argument to Intn");
        }
        Ok(Value::Int(lo + rand_below(e, (hi - lo) as u64) as i64))
    });
    r.add("int64", &[Any], None, |_, a| {
        Ok(Value::I64(to_int64(&arg(&a, 0))))
    });
    r.add("int", &[Any], None, |_, a| {
        Ok(Value::Int(to_int64(&arg(&a, 0))))
    });
    r.add("float64", &[Any], None, |_, a| {
        Ok(Value::Float(to_float64(&arg(&a, 0))))
    });
    r.add("atoi", &[Ty::Str], None, |_, a| {
        let s = super::arg_str(&a, 0);
        let t = s.strip_prefix('+').unwrap_or(&s);
        Ok(Value::Int(t.parse::<i64>().unwrap_or(0)))
    });
    r.add("toDecimal", &[Any], None, |_, a| {
        let s = crate::template::gofmt::print_v(&arg(&a, 0));
        Ok(Value::I64(i64::from_str_radix(&s, 8).unwrap_or(0)))
    });
}

#[derive(Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

/// A decimal: `mant * 10^exp`.
#[derive(Clone, Copy)]
struct Dec {
    mant: i128,
    exp: i32,
}

fn to_dec(v: &Value) -> Option<Dec> {
    let s = match v {
        Value::Int(i) | Value::I64(i) => {
            return Some(Dec {
                mant: i128::from(*i),
                exp: 0,
            });
        }
        Value::Float(f) => {
            if !f.is_finite() {
                return None;
            }
            format!("{:e}", f)
        }
        other => format!("{:e}", to_float64(other)),
    };
    let (m, e) = s.split_once('e')?;
    let e: i32 = e.parse().ok()?;
    let (neg, m) = match m.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, m),
    };
    let (int, frac) = m.split_once('.').unwrap_or((m, ""));
    let digits = format!("{int}{frac}");
    let mant: i128 = digits.parse().ok()?;
    let exp = e - i32::try_from(frac.len()).ok()?;
    Some(Dec {
        mant: if neg { -mant } else { mant },
        exp,
    })
}

fn align(a: Dec, b: Dec) -> Option<(i128, i128, i32)> {
    let exp = a.exp.min(b.exp);
    let sa = 10i128.checked_pow(u32::try_from(a.exp - exp).ok()?)?;
    let sb = 10i128.checked_pow(u32::try_from(b.exp - exp).ok()?)?;
    Some((a.mant.checked_mul(sa)?, b.mant.checked_mul(sb)?, exp))
}

fn dec_op(a: Dec, b: Dec, op: Op) -> Option<Dec> {
    match op {
        Op::Add | Op::Sub => {
            let (x, y, exp) = align(a, b)?;
            let mant = if matches!(op, Op::Add) {
                x.checked_add(y)?
            } else {
                x.checked_sub(y)?
            };
            Some(Dec { mant, exp })
        }
        Op::Mul => Some(Dec {
            mant: a.mant.checked_mul(b.mant)?,
            exp: a.exp.checked_add(b.exp)?,
        }),
        Op::Div => {
            if b.mant == 0 {
                return None;
            }
            // shopspring's DivisionPrecision: 16 fractional digits, rounded half away from zero.
            let scale = 17;
            let shift = scale + a.exp - b.exp;
            let (num, den) = if shift >= 0 {
                (
                    a.mant
                        .checked_mul(10i128.checked_pow(u32::try_from(shift).ok()?)?)?,
                    b.mant,
                )
            } else {
                (
                    a.mant,
                    b.mant
                        .checked_mul(10i128.checked_pow(u32::try_from(-shift).ok()?)?)?,
                )
            };
            let q = num / den;
            let rounded = if q % 10 >= 5 || q % 10 <= -5 {
                q / 10 + q.signum()
            } else {
                q / 10
            };
            Some(Dec {
                mant: rounded,
                exp: -(scale - 1),
            })
        }
    }
}

fn dec_to_f64(d: Dec) -> f64 {
    format!("{}e{}", d.mant, d.exp).parse().unwrap_or(0.0)
}

fn float_op(a: f64, b: f64, op: Op) -> f64 {
    match op {
        Op::Add => a + b,
        Op::Sub => a - b,
        Op::Mul => a * b,
        Op::Div => a / b,
    }
}

fn dec_fold(vals: &[Value], op: Op) -> f64 {
    let Some(first) = vals.first() else {
        return 0.0;
    };
    let mut acc = to_dec(first);
    let mut facc = to_float64(first);
    for v in vals.iter().skip(1) {
        facc = float_op(facc, to_float64(v), op);
        acc = match (acc, to_dec(v)) {
            (Some(a), Some(b)) => dec_op(a, b, op),
            _ => None,
        };
    }
    match acc {
        Some(d) => dec_to_f64(d),
        None => facc,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_ops_are_exact() {
        assert_eq!(
            dec_fold(&[Value::Float(1.1), Value::Float(2.2)], Op::Add),
            3.3
        );
        assert_eq!(
            dec_fold(&[Value::Float(10.0), Value::Float(3.0)], Op::Div),
            3.3333333333333335
        );
        assert_eq!(dec_fold(&[Value::Float(1.5), Value::Int(2)], Op::Mul), 3.0);
    }
}
