//! The `pstral` binary: everything is in the library's `cli` module, so that
//! the tests drive the same code.

fn main() -> std::process::ExitCode {
    pstral::cli::main()
}
