//! `sqlx::migrate!` embeds the migration files at compile time but cannot tell cargo about files
//! added later; this makes a new migration trigger a rebuild.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
