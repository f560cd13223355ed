//! TLS for the database connection: rustls on the ring backend, as libpq's modes mean it.
//!
//! `prefer` and `require` encrypt without checking the server's certificate (libpq does
//! the same, and Heroku Postgres serves certificates no public CA signed), yet the
//! handshake's signature is still verified against the certificate's key, so the session
//! is encrypted to whoever holds that key. `verify-ca` checks the chain and ignores the
//! name; `verify-full` checks both. Both use `sslrootcert` when the URL names one and the
//! webpki roots otherwise. The same rustls that reqwest uses, so the tree holds one.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::url::TlsMode;

/// Why no TLS setup could be made.
#[derive(Debug)]
pub enum TlsError {
    /// `sslrootcert` names a file that cannot be read.
    RootCertUnreadable {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The file holds no PEM certificate rustls accepts.
    RootCertInvalid { path: PathBuf },
    /// rustls refused the setup (no usable root, an unsupported protocol version).
    Setup(String),
}

impl std::fmt::Display for TlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsError::RootCertUnreadable { path, error } => {
                write!(f, "cannot read sslrootcert {}: {error}", path.display())
            }
            TlsError::RootCertInvalid { path } => {
                write!(f, "sslrootcert {} holds no PEM certificate", path.display())
            }
            TlsError::Setup(why) => write!(f, "cannot set up TLS: {why}"),
        }
    }
}

/// The connector for `mode`; `None` for `disable` (plain TCP).
///
/// # Errors
/// A [`TlsError`] when `sslrootcert` cannot be read or rustls refuses the setup.
pub fn connector(mode: &TlsMode) -> Result<Option<MakeRustlsConnect>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|error| TlsError::Setup(error.to_string()))?;
    let config = match mode {
        TlsMode::Disable => return Ok(None),
        TlsMode::Prefer | TlsMode::Require => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly {
                algorithms: provider.signature_verification_algorithms,
            }))
            .with_no_client_auth(),
        TlsMode::VerifyCa { root_cert } => {
            let inner = webpki_verifier(root_cert.as_deref(), &provider)?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyName { inner }))
                .with_no_client_auth()
        }
        TlsMode::VerifyFull { root_cert } => builder
            .with_webpki_verifier(webpki_verifier(root_cert.as_deref(), &provider)?)
            .with_no_client_auth(),
    };
    Ok(Some(MakeRustlsConnect::new(config)))
}

fn webpki_verifier(
    root_cert: Option<&Path>,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, TlsError> {
    let mut roots = RootCertStore::empty();
    match root_cert {
        Some(path) => {
            let pem = std::fs::read(path).map_err(|error| TlsError::RootCertUnreadable {
                path: path.to_path_buf(),
                error,
            })?;
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
                .filter_map(Result::ok)
                .collect();
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(TlsError::RootCertInvalid {
                    path: path.to_path_buf(),
                });
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|error| TlsError::Setup(error.to_string()))
}

/// `require`: any certificate, but a handshake signed by its key.
#[derive(Debug)]
struct EncryptOnly {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain must check out, the name may be anything.
#[derive(Debug)]
struct AnyName {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mode_but_disable_builds_a_connector() {
        assert!(connector(&TlsMode::Disable).expect("ok").is_none());
        for mode in [
            TlsMode::Prefer,
            TlsMode::Require,
            TlsMode::VerifyCa { root_cert: None },
            TlsMode::VerifyFull { root_cert: None },
        ] {
            assert!(connector(&mode).expect("builds").is_some(), "{mode:?}");
        }
    }

    #[test]
    fn a_missing_or_empty_root_cert_is_an_error_naming_the_file() {
        let missing = connector(&TlsMode::VerifyFull {
            root_cert: Some("/nonexistent/root.crt".into()),
        })
        .err()
        .expect("missing file");
        assert!(
            missing.to_string().contains("/nonexistent/root.crt"),
            "{missing}"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").expect("write");
        let invalid = connector(&TlsMode::VerifyCa {
            root_cert: Some(empty.clone()),
        })
        .err()
        .expect("no certificate");
        assert!(
            matches!(invalid, TlsError::RootCertInvalid { .. }),
            "{invalid}"
        );
    }
}
