//! The `pstral` binary: the command line, and the wiring of the core to the
//! chat adapters the configuration enables.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
