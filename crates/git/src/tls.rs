//! Per-operation trust of a `ca.crt` for https remotes.
//!
//! libgit2 (with OpenSSL) only takes extra CAs through `git_libgit2_opts`, which is global to
//! the process: two GitRepositories with different `ca.crt` would race. Instead, libgit2
//! verifies against the system store as usual and hands the server's leaf certificate to our
//! `certificate_check` callback, where we verify it ourselves with `rustls-webpki` against the
//! Secret's CAs (chain, validity period, server-auth usage, and the URL's host name). Trusted by
//! either is accepted, as Flux appends `ca.crt` to the system pool. libgit2 hands over only the
//! leaf, so an intermediate CA must be in `ca.crt` alongside its root (or be the anchor itself).

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use webpki::{EndEntityCert, KeyUsage};

/// The certificates of a PEM bundle, or why there are none.
pub(crate) fn parse_bundle(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("not a PEM certificate bundle: {e}"))?;
    if certs.is_empty() {
        return Err("holds no PEM certificate".into());
    }
    Ok(certs)
}

/// Verifies the server certificate `leaf` (DER) for `host` against the CAs of `bundle`.
pub(crate) fn verify(
    bundle: &[CertificateDer<'static>],
    leaf: &[u8],
    host: &str,
) -> Result<(), String> {
    let anchors = bundle
        .iter()
        .filter_map(|der| {
            webpki::anchor_from_trusted_cert(der)
                .ok()
                .map(|anchor| anchor.to_owned())
        })
        .collect::<Vec<_>>();
    if anchors.is_empty() {
        return Err("ca.crt holds no usable CA certificate".into());
    }
    let leaf = CertificateDer::from(leaf);
    let end_entity = EndEntityCert::try_from(&leaf)
        .map_err(|e| format!("cannot parse the server certificate: {e}"))?;
    end_entity
        .verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &anchors,
            bundle,
            UnixTime::now(),
            KeyUsage::server_auth(),
            None,
            None,
        )
        .map_err(|e| format!("not signed by a CA of ca.crt ({e})"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let name = ServerName::try_from(host)
        .map_err(|e| format!("'{host}' is not a valid server name: {e}"))?;
    end_entity
        .verify_is_valid_for_subject_name(&name)
        .map_err(|e| format!("not valid for {host} ({e})"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};

    /// A CA (PEM) and a server certificate (DER) it signed for `names`.
    fn ca_and_leaf(names: &[&str]) -> (String, Vec<u8>) {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let params =
            CertificateParams::new(names.iter().map(|n| (*n).to_string()).collect::<Vec<_>>())
                .unwrap();
        let leaf = params
            .signed_by(&KeyPair::generate().unwrap(), &ca)
            .unwrap();
        (ca.pem(), leaf.der().to_vec())
    }

    #[test]
    fn a_server_certificate_signed_by_the_ca_verifies_for_its_names() {
        let (ca, leaf) = ca_and_leaf(&["127.0.0.1", "git.example.com"]);
        let bundle = parse_bundle(ca.as_bytes()).unwrap();
        verify(&bundle, &leaf, "127.0.0.1").unwrap();
        verify(&bundle, &leaf, "git.example.com").unwrap();
        let error = verify(&bundle, &leaf, "other.example.com").unwrap_err();
        assert!(error.contains("not valid for other.example.com"), "{error}");
    }

    #[test]
    fn a_certificate_of_another_ca_is_refused() {
        let (_, leaf) = ca_and_leaf(&["127.0.0.1"]);
        let (other_ca, _) = ca_and_leaf(&["127.0.0.1"]);
        let bundle = parse_bundle(other_ca.as_bytes()).unwrap();
        let error = verify(&bundle, &leaf, "127.0.0.1").unwrap_err();
        assert!(error.contains("not signed by a CA of ca.crt"), "{error}");
    }

    #[test]
    fn garbage_is_not_a_bundle() {
        assert!(parse_bundle(b"hello").is_err());
        assert!(parse_bundle(b"").is_err());
    }
}
