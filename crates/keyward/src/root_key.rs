//! First start: bootstrap the root domain and key, and hand the root secret to the operator
//! exactly once — in a new file when `root_key_file` is set, otherwise back to the caller, whose
//! only sanctioned use is to print it to the console.
//!
//! The file is created *before* the key exists, so a refusal (the file is already there, its
//! directory is missing) leaves the database untouched instead of creating a root key nobody
//! will ever see. When the database is already initialised nothing is created and the file is
//! left alone, so a `root_key_file` that stays in the configuration does not break restarts.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use keyward_core::secret::SecretToken;
use keyward_core::service::Bootstrapped;
use keyward_core::store::Store;
use keyward_core::Keyward;

/// What first-start bootstrap did with the root key.
#[derive(Debug)]
pub enum RootKey {
    /// The database already had a root domain: nothing was created.
    AlreadyInitialised,
    /// A fresh database; the root key is in this file (mode 0600) and nowhere else.
    WrittenTo(PathBuf),
    /// A fresh database and no file configured: the one copy of the root key.
    Created(SecretToken),
}

/// Runs `bootstrap` and delivers the root key as described in the module comment.
pub async fn bootstrap(
    core: &Keyward,
    store: &dyn Store,
    root_key_file: Option<&Path>,
) -> anyhow::Result<RootKey> {
    let fresh = store
        .is_empty()
        .await
        .context("cannot tell whether the database is initialised")?;
    let mut file = match (root_key_file, fresh) {
        (Some(path), true) => Some((create_secret_file(path)?, path)),
        _ => None,
    };
    let outcome = match core.bootstrap().await {
        Ok(outcome) => outcome,
        Err(error) => {
            discard(file.take());
            return Err(anyhow!(error).context("bootstrap of the root domain and key failed"));
        }
    };
    match outcome {
        Bootstrapped::AlreadyDone => {
            // Another node may have won a race to initialise the same database.
            discard(file);
            Ok(RootKey::AlreadyInitialised)
        }
        Bootstrapped::Created(created) => {
            let secret = created.secret;
            let (file, path) = match (file, root_key_file) {
                (Some(pair), _) => pair,
                // The database filled up between the check and bootstrap, by a race we lost
                // and then won; still honour the file.
                (None, Some(path)) => (create_secret_file(path)?, path),
                (None, None) => return Ok(RootKey::Created(secret)),
            };
            write_secret(file, &secret).with_context(|| {
                format!(
                    "the database was initialised but writing its root key to {} failed; \
                     the key is lost: delete the database and start again",
                    path.display()
                )
            })?;
            Ok(RootKey::WrittenTo(path.to_path_buf()))
        }
    }
}

/// `create_new` (never overwrite) with mode 0600 from the first instant.
fn create_secret_file(path: &Path) -> anyhow::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(|error| match error.kind() {
        ErrorKind::AlreadyExists => anyhow!(
            "root key file {} already exists: refusing to overwrite it (move it away, or point \
             root_key_file elsewhere)",
            path.display()
        ),
        ErrorKind::NotFound => anyhow!(
            "cannot create root key file {}: its directory does not exist",
            path.display()
        ),
        _ => anyhow!(error).context(format!("cannot create root key file {}", path.display())),
    })
}

fn write_secret(mut file: File, secret: &SecretToken) -> std::io::Result<()> {
    file.write_all(secret.expose().as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

/// Removes a root key file this run created but never wrote.
fn discard(file: Option<(File, &Path)>) {
    if let Some((handle, path)) = file {
        drop(handle);
        if let Err(error) = std::fs::remove_file(path) {
            tracing::warn!(path = %path.display(), %error, "could not remove the unused root key file");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_file_is_new_and_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("root.key");
        let file = create_secret_file(&path).expect("created");
        write_secret(file, &SecretToken::generate()).expect("written");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let err = create_secret_file(&path).expect_err("never overwritten");
        assert!(err.to_string().contains("refusing to overwrite"), "{err}");
        let err = create_secret_file(&dir.path().join("absent/root.key")).expect_err("no dir");
        assert!(
            err.to_string().contains("directory does not exist"),
            "{err}"
        );
    }
}
