//! Renders a chart like `helm template`: `cargo run -p capstan-helm --example render -- <args>`.
//! Prints stdout as Helm does; on failure prints `Error: <message>` to stderr and exits 1.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match capstan_helm::template_command(&args) {
        Ok(out) => print!("{out}"),
        Err(e) => {
            eprintln!("Error: {e}");
            std::process::exit(1);
        }
    }
}
