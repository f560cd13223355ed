//! A fresh database per test, on the real server: `TEST_DATABASE_URL` (an admin URL) or
//! `postgres://postgres@127.0.0.1:5432/postgres`. A server that does not answer fails
//! the test with what to do; it is never skipped.

use std::sync::atomic::{AtomicU32, Ordering};

use tokio_postgres::{Client, NoTls};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// The admin URL tests create their databases from.
pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A database that exists for one test and is dropped when this is.
pub struct TestDb {
    pub name: String,
    admin: String,
}

async fn admin_client(admin: &str) -> Client {
    let (client, connection) =
        tokio_postgres::connect(admin, NoTls)
            .await
            .unwrap_or_else(|error| {
                panic!(
                    "start PostgreSQL: no server answers at {admin} ({error}); \
                 run `pg_ctlcluster 15 main start` or set TEST_DATABASE_URL"
                )
            });
    tokio::spawn(async move { drop(connection.await) });
    client
}

impl TestDb {
    pub async fn create() -> TestDb {
        let admin = admin_url();
        let client = admin_client(&admin).await;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|since| since.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "hc_test_{}_{}_{nanos:x}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|error| panic!("cannot create database {name}: {error}"));
        TestDb { name, admin }
    }

    /// This database's URL (on the admin URL's server).
    pub fn url_text(&self) -> String {
        let (base, query) = match self.admin.split_once('?') {
            Some((base, query)) => (base, Some(query)),
            None => (self.admin.as_str(), None),
        };
        let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
        match query {
            Some(query) => format!("{server}/{}?{query}", self.name),
            None => format!("{server}/{}", self.name),
        }
    }

    /// A plain connection to this database, for setting up and checking.
    pub async fn client(&self) -> Client {
        admin_client(&self.url_text()).await
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let name = self.name.clone();
        // Drop runs outside any runtime the test had; use a small one of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                runtime.block_on(async {
                    if let Ok((client, connection)) = tokio_postgres::connect(&admin, NoTls).await {
                        tokio::spawn(async move { drop(connection.await) });
                        let _ = client
                            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .await;
                    }
                });
            }
        })
        .join();
    }
}
