use std::path::{Path, PathBuf};

use rand::Rng;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

use crate::Error;

/// The files the control plane is started with, all inside the cluster's directory.
#[derive(Debug, Clone)]
pub(crate) struct Pki {
    pub(crate) ca_cert: PathBuf,
    pub(crate) ca_pem: String,
    pub(crate) serving_cert: PathBuf,
    pub(crate) serving_key: PathBuf,
    pub(crate) service_account_key: PathBuf,
    pub(crate) service_account_pub: PathBuf,
    pub(crate) token_file: PathBuf,
    /// The static admin token (group `system:masters`); written to files, never logged.
    pub(crate) admin_token: String,
}

/// Names the serving certificate is valid for: loopback, and the in-cluster names of the
/// `kubernetes` Service so pods' service-account configs verify too.
const SERVING_NAMES: &[&str] = &[
    "127.0.0.1",
    "localhost",
    "10.96.0.1",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
];

/// Generates a CA, a serving certificate, the service-account signing key and the admin token
/// into `dir`, or loads them when a previous run left them there (so a restarted dev cluster
/// keeps working kubeconfigs).
pub(crate) fn ensure(dir: &Path) -> Result<Pki, Error> {
    let pki = Pki {
        ca_cert: dir.join("ca.crt"),
        ca_pem: String::new(),
        serving_cert: dir.join("apiserver.crt"),
        serving_key: dir.join("apiserver.key"),
        service_account_key: dir.join("sa.key"),
        service_account_pub: dir.join("sa.pub"),
        token_file: dir.join("tokens.csv"),
        admin_token: String::new(),
    };
    let token_path = dir.join("admin.token");
    let complete = [
        &pki.ca_cert,
        &pki.serving_cert,
        &pki.serving_key,
        &pki.service_account_key,
        &pki.service_account_pub,
        &pki.token_file,
        &token_path,
    ]
    .iter()
    .all(|p| p.is_file());
    if complete {
        let ca_pem =
            std::fs::read_to_string(&pki.ca_cert).map_err(Error::io("reading", &pki.ca_cert))?;
        let admin_token =
            std::fs::read_to_string(&token_path).map_err(Error::io("reading", &token_path))?;
        return Ok(Pki {
            ca_pem,
            admin_token: admin_token.trim().to_string(),
            ..pki
        });
    }

    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(Error::Pki)?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "capstan-local-ca");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().map_err(Error::Pki)?;
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).map_err(Error::Pki)?;

    let names: Vec<String> = SERVING_NAMES.iter().map(|s| (*s).to_string()).collect();
    let mut serving_params = CertificateParams::new(names).map_err(Error::Pki)?;
    serving_params
        .distinguished_name
        .push(DnType::CommonName, "kube-apiserver");
    serving_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    serving_params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    let serving_key = KeyPair::generate().map_err(Error::Pki)?;
    let serving = serving_params
        .signed_by(&serving_key, &ca)
        .map_err(Error::Pki)?;

    let service_account_key = KeyPair::generate().map_err(Error::Pki)?;
    let admin_token = random_token();

    let ca_pem = ca.pem();
    write_private(&pki.ca_cert, &ca_pem)?;
    write_private(&pki.serving_cert, &serving.pem())?;
    write_private(&pki.serving_key, &serving_key.serialize_pem())?;
    write_private(
        &pki.service_account_key,
        &service_account_key.serialize_pem(),
    )?;
    write_private(
        &pki.service_account_pub,
        &service_account_key.public_key_pem(),
    )?;
    write_private(
        &pki.token_file,
        &format!("{admin_token},capstan-admin,capstan-admin,\"system:masters\"\n"),
    )?;
    write_private(&token_path, &admin_token)?;
    Ok(Pki {
        ca_pem,
        admin_token,
        ..pki
    })
}

fn random_token() -> String {
    let bytes: [u8; 24] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes a file readable only by its owner: it may hold a key or a token.
fn write_private(path: &Path, contents: &str) -> Result<(), Error> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(Error::io("writing", path))?;
    file.write_all(contents.as_bytes())
        .map_err(Error::io("writing", path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pki_is_reused_on_the_next_start() {
        let dir = tempfile::tempdir().unwrap();
        let first = ensure(dir.path()).unwrap();
        let second = ensure(dir.path()).unwrap();
        assert_eq!(first.admin_token, second.admin_token);
        assert_eq!(first.ca_pem, second.ca_pem);
        assert!(first.ca_pem.contains("BEGIN CERTIFICATE"));
        assert_eq!(first.admin_token.len(), 48);
    }

    #[test]
    fn key_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let pki = ensure(dir.path()).unwrap();
        for path in [&pki.serving_key, &pki.service_account_key, &pki.token_file] {
            let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", path.display());
        }
    }
}
