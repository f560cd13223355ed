//! One connection to the database that reopens itself, with a deadline on everything.
//!
//! A partitioned TCP connection can hang for hours, so every operation goes through
//! [`Link::run`], which gives up after the link's timeout and drops the connection (the
//! next call opens a fresh one). TCP keepalives and `tcp_user_timeout` are set too, and
//! the session gets `statement_timeout` and `idle_in_transaction_session_timeout`, so
//! the server also lets go of a client that vanished. A clock holds two links at most:
//! one for the lease and upkeep, one for claims and history.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use tokio_postgres::Client;
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::error::{StoreError, describe};
use super::tls::{self, TlsError};
use super::url::{DatabaseUrl, TlsMode};

/// A connection that is opened on first use and reopened after it failed.
pub struct Link {
    config: tokio_postgres::Config,
    tls: Option<MakeRustlsConnect>,
    timeout: Duration,
    open: Mutex<Option<Open>>,
}

struct Open {
    client: Arc<Client>,
    task: JoinHandle<()>,
}

impl Drop for Open {
    fn drop(&mut self) {
        // A blackholed socket never finishes closing; the task must not outlive us.
        self.task.abort();
    }
}

impl Link {
    /// A link to `url`, named `application_name` in `pg_stat_activity`, whose every
    /// operation (and connection attempt) gives up after `timeout`.
    ///
    /// # Errors
    /// A [`TlsError`] when the URL's TLS settings cannot be set up.
    pub fn new(
        url: &DatabaseUrl,
        application_name: &str,
        timeout: Duration,
    ) -> Result<Link, TlsError> {
        let mut config = url.config.clone();
        if config.get_application_name().is_none() {
            config.application_name(application_name);
        }
        let statement_ms = timeout.as_millis();
        let mut options = config.get_options().unwrap_or_default().to_string();
        if !options.is_empty() {
            options.push(' ');
        }
        options.push_str(&format!(
            "-c statement_timeout={statement_ms} -c idle_in_transaction_session_timeout={}",
            statement_ms * 2
        ));
        config.options(options);
        config
            .connect_timeout(timeout)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(10))
            .keepalives_interval(Duration::from_secs(5))
            .keepalives_retries(3)
            .tcp_user_timeout(timeout.max(Duration::from_secs(5)));
        config.ssl_mode(match url.tls {
            TlsMode::Disable => SslMode::Disable,
            TlsMode::Prefer => SslMode::Prefer,
            _ => SslMode::Require,
        });
        Ok(Link {
            tls: tls::connector(&url.tls)?,
            config,
            timeout,
            open: Mutex::new(None),
        })
    }

    /// The per-operation deadline.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Runs `operation` on the connection (opening it first when needed), within the
    /// link's timeout. A timeout or a closed connection drops it, so the next call
    /// reconnects.
    ///
    /// # Errors
    /// [`StoreError::Connect`] when no connection opens, [`StoreError::Timeout`] past
    /// the deadline, or what `operation` returned.
    pub async fn run<T, F, Fut>(&self, what: &'static str, operation: F) -> Result<T, StoreError>
    where
        F: FnOnce(Arc<Client>) -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        self.run_within(what, self.timeout, operation).await
    }

    /// [`Link::run`] with a deadline of its own (shorter, for a lease about to expire).
    ///
    /// # Errors
    /// As [`Link::run`].
    pub async fn run_within<T, F, Fut>(
        &self,
        what: &'static str,
        limit: Duration,
        operation: F,
    ) -> Result<T, StoreError>
    where
        F: FnOnce(Arc<Client>) -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let attempt = async {
            let client = self.client().await?;
            let result = operation(client.clone()).await;
            if result.is_err() && client.is_closed() {
                self.forget(&client).await;
            }
            result
        };
        match tokio::time::timeout(limit, attempt).await {
            Ok(result) => result,
            Err(_) => {
                *self.open.lock().await = None;
                Err(StoreError::Timeout { what, after: limit })
            }
        }
    }

    /// Closes the connection now (at shutdown, or to start over).
    pub async fn close(&self) {
        *self.open.lock().await = None;
    }

    async fn client(&self) -> Result<Arc<Client>, StoreError> {
        let mut open = self.open.lock().await;
        if let Some(current) = open.as_ref() {
            if !current.client.is_closed() {
                return Ok(current.client.clone());
            }
        }
        *open = None;
        let (client, task) = match &self.tls {
            Some(tls) => {
                let (client, connection) =
                    self.config.connect(tls.clone()).await.map_err(|error| {
                        StoreError::Connect {
                            detail: describe(&error),
                        }
                    })?;
                (client, tokio::spawn(async move { drop(connection.await) }))
            }
            None => {
                let (client, connection) = self
                    .config
                    .connect(tokio_postgres::NoTls)
                    .await
                    .map_err(|error| StoreError::Connect {
                        detail: describe(&error),
                    })?;
                (client, tokio::spawn(async move { drop(connection.await) }))
            }
        };
        let client = Arc::new(client);
        *open = Some(Open {
            client: client.clone(),
            task,
        });
        Ok(client)
    }

    async fn forget(&self, client: &Arc<Client>) {
        let mut open = self.open.lock().await;
        if open
            .as_ref()
            .is_some_and(|current| Arc::ptr_eq(&current.client, client))
        {
            *open = None;
        }
    }
}
