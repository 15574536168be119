//! The `capstan` command. All logic lives in the library so tests can call it.

fn main() -> std::process::ExitCode {
    capstan::main()
}
