//! Asking the person at the terminal: a yes/no before deleting, a secret without echo. Without
//! a terminal on stdin nothing is asked: a confirmation is refused unless `--yes` was given, and
//! a secret is read as a line, so pipes keep working.

use std::io::{BufRead, IsTerminal};

use anyhow::{bail, Context};

/// Asks `question` (`[y/N]`) on a terminal; `yes` skips it. Refuses when stdin is no terminal.
pub fn confirm(question: &str, yes: bool) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!("not confirmed: stdin is not a terminal, so nobody can answer `{question}`; pass --yes to go ahead");
    }
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .context("cannot read the answer")?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        bail!("cancelled: nothing was changed")
    }
}

/// A secret: typed without echo on a terminal, else the first line of stdin.
pub fn secret(prompt: &str) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    let text = if stdin.is_terminal() {
        rpassword::prompt_password(prompt).context("cannot read from the terminal")?
    } else {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("cannot read stdin")?;
        line
    };
    Ok(text.trim().to_string())
}
