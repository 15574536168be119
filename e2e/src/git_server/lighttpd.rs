//! `lighttpd` configuration: `git http-backend` over http and https, basic and bearer auth.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

use crate::process::{ProcessSpec, free_port, write_private};

/// What [`prepare`] made: how to run `lighttpd` and what a client needs.
pub(super) struct HttpSetup {
    pub(super) process: ProcessSpec,
    pub(super) http_port: u16,
    pub(super) https_port: u16,
    pub(super) ca_pem: String,
}

const HTTP_BACKEND: &str = "/usr/lib/git-core/git-http-backend";

/// Writes the CA, the serving certificate, the user file and the config under `dir/http`.
pub(super) fn prepare(
    dir: &Path,
    repos: &Path,
    username: &str,
    password: &str,
    bearer_token: &str,
) -> Result<HttpSetup, String> {
    let http = dir.join("http");
    let www = http.join("www");
    std::fs::create_dir_all(&www).map_err(|e| format!("creating {}: {e}", www.display()))?;
    let (ca_pem, cert_pem, key_pem) =
        certificates().map_err(|e| format!("generating certificates: {e}"))?;
    let cert = http.join("server.crt");
    let key = http.join("server.key");
    write_private(&cert, &cert_pem)?;
    write_private(&key, &key_pem)?;
    let users = http.join("users");
    write_private(&users, &format!("{username}:{password}\n"))?;

    let http_port = free_port()?;
    let https_port = free_port()?;
    let config = http.join("lighttpd.conf");
    let text = format!(
        r#"server.modules = ("mod_access", "mod_alias", "mod_auth", "mod_authn_file", "mod_cgi", "mod_setenv", "mod_openssl")
server.document-root = "{www}"
server.bind = "127.0.0.1"
server.port = {http_port}
server.pid-file = "{pid}"
server.errorlog = "/dev/stderr"
alias.url = ( "/git/" => "{HTTP_BACKEND}/", "/public/" => "{HTTP_BACKEND}/", "/bearer/" => "{HTTP_BACKEND}/" )
$HTTP["url"] =~ "^/(git|public|bearer)/" {{
  cgi.assign = ( "" => "" )
  setenv.set-environment = ( "GIT_PROJECT_ROOT" => "{repos}", "GIT_HTTP_EXPORT_ALL" => "", "GIT_CONFIG_NOSYSTEM" => "1" )
}}
auth.backend = "plain"
auth.backend.plain.userfile = "{users}"
auth.require = ( "/git/" => ( "method" => "basic", "realm" => "git", "require" => "valid-user" ) )
$HTTP["url"] =~ "^/bearer/" {{
  $REQUEST_HEADER["Authorization"] != "Bearer {bearer_token}" {{
    url.access-deny = ( "" )
  }}
}}
$SERVER["socket"] == "127.0.0.1:{https_port}" {{
  ssl.engine = "enable"
  ssl.pemfile = "{cert}"
  ssl.privkey = "{key}"
}}
"#,
        www = www.display(),
        pid = http.join("lighttpd.pid").display(),
        repos = repos.display(),
        users = users.display(),
        cert = cert.display(),
        key = key.display(),
    );
    write_private(&config, &text)?;
    let process = ProcessSpec {
        name: "lighttpd",
        program: PathBuf::from("/usr/sbin/lighttpd"),
        args: vec!["-D".into(), "-f".into(), config.display().to_string()],
        env: Vec::new(),
        log: dir.join("lighttpd.log"),
    };
    Ok(HttpSetup {
        process,
        http_port,
        https_port,
        ca_pem,
    })
}

/// A fresh CA and a serving certificate for `127.0.0.1` and `localhost`: (CA PEM, cert PEM,
/// key PEM).
fn certificates() -> Result<(String, String, String), rcgen::Error> {
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "capstan-e2e git CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;

    let mut params =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])?;
    params
        .distinguished_name
        .push(DnType::CommonName, "capstan-e2e git server");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, &ca)?;
    Ok((ca.pem(), cert.pem(), key.serialize_pem()))
}
