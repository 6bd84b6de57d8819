//! Documents generated from the command line's own definitions: `keyward completions <shell>`
//! prints a completion script, and the hidden `keyward man <dir>` writes one man page per command
//! (`keyward.1`, `keyward-keys.1`, `keyward-keys-create.1`, …). The Debian package ships both
//! (`.ci/package`).

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::Cli;

/// `keyward completions <shell>`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell.
    #[arg(value_name = "SHELL")]
    shell: Shell,
}

impl CompletionsArgs {
    pub fn run(self) {
        let mut command = Cli::command();
        clap_complete::generate(self.shell, &mut command, "keyward", &mut std::io::stdout());
    }
}

/// `keyward man <dir>`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Directory to write the pages to (created when absent).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

impl ManArgs {
    pub fn run(self) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create {}", self.dir.display()))?;
        // One page per visible command, named by its display name (`keyward-keys-create.1`).
        clap_mangen::generate_to(Cli::command(), &self.dir)
            .with_context(|| format!("cannot write the man pages to {}", self.dir.display()))?;
        Ok(())
    }
}
