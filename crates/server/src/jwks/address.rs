//! Outbound address policy for issuer fetches.
//!
//! An issuer URL comes from an administrator, but the host it names may resolve anywhere. Unless the
//! server runs with `--allow-private-issuers`, the fetcher connects only to public unicast addresses,
//! so a provider entry cannot make the server reach its own loopback services, the private network
//! or a cloud metadata endpoint. The check runs on every DNS answer the HTTP client uses, which
//! closes the DNS-rebinding gap between a separate check and the connect.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Rejection of a host whose address is not public, raised by [`check_ip`] and by [`PolicyResolver`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("host {host} resolves to the non-public address {address}")]
pub struct AddressRejected {
    /// Host name or IP literal from the URL.
    pub host: String,
    /// The first address that failed the policy.
    pub address: IpAddr,
}

/// Returns true for a globally routable unicast address.
///
/// Rejected ranges:
/// - unspecified, loopback, `0.0.0.0/8`, multicast, reserved 240/4 and broadcast;
/// - private 10/8, 172.16/12, 192.168/16, CGNAT 100.64/10, unique-local fc00::/7, site-local fec0::/10;
/// - link-local 169.254/16 (with the metadata address 169.254.169.254) and fe80::/10;
/// - IETF protocol assignments 192.0.0/24, benchmarking 198.18/15, documentation ranges;
/// - IPv6 forms that embed a rejected IPv4 address: mapped `::ffff:0:0/96`, compatible `::/96`,
///   NAT64 `64:ff9b::/96` and 6to4 `2002::/16`.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let rejected = ip.is_unspecified()
        || a == 0
        || ip.is_loopback()
        || ip.is_private()
        || (a == 100 && (64..=127).contains(&b))
        || ip.is_link_local()
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || ip.is_documentation()
        || ip.is_multicast()
        || a >= 240;
    !rejected
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_ipv4(ip) {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    let rejected = ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00
        || (segments[0] & 0xffc0) == 0xfe80
        || (segments[0] & 0xffc0) == 0xfec0
        || (segments[0] == 0x2001 && segments[1] == 0x0db8);
    !rejected
}

/// Extracts the IPv4 address that an IPv6 address carries in one of the transition formats.
fn embedded_ipv4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    let mapped = s[..5] == [0, 0, 0, 0, 0] && s[5] == 0xffff;
    // `::` and `::1` are not IPv4-compatible addresses, so they fall through to the IPv6 checks.
    let compatible = s[..6] == [0, 0, 0, 0, 0, 0] && (s[6] != 0 || s[7] > 1);
    let nat64 = s[0] == 0x0064 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0];
    if mapped || compatible || nat64 {
        return Some(low);
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    None
}

/// Checks one address of `host` against the policy.
pub fn check_ip(host: &str, ip: IpAddr, allow_private: bool) -> Result<(), AddressRejected> {
    if allow_private || is_public(ip) {
        Ok(())
    } else {
        Err(AddressRejected {
            host: host.to_string(),
            address: ip,
        })
    }
}

/// Checks a URL whose host is an IP literal. The HTTP client connects to those without resolving,
/// so [`PolicyResolver`] never receives them. Domain hosts pass here and are checked at resolution.
pub fn check_url_host(url: &url::Url, allow_private: bool) -> Result<(), AddressRejected> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        Some(url::Host::Domain(_)) | None => return Ok(()),
    };
    check_ip(url.host_str().unwrap_or_default(), ip, allow_private)
}

/// A [`reqwest`] DNS resolver that resolves through the system resolver and rejects the whole answer
/// when any address in it fails the policy.
///
/// Rejecting rather than filtering keeps a host that mixes public and private records from being
/// reached through whichever address happens to remain.
#[derive(Debug, Clone, Copy)]
pub struct PolicyResolver {
    allow_private: bool,
}

impl PolicyResolver {
    /// Creates a resolver. With `allow_private` it accepts every resolved address.
    pub fn new(allow_private: bool) -> Arc<Self> {
        Arc::new(Self { allow_private })
    }
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            for address in &resolved {
                check_ip(&host, address.ip(), allow_private)?;
            }
            let addrs: Addrs = Box::new(resolved.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address literal")
    }

    #[test]
    fn rejected_addresses() {
        let cases = [
            "0.0.0.0",
            "0.1.2.3",
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "169.254.0.1",
            "100.64.0.1",
            "100.127.255.255",
            "192.0.0.8",
            "198.18.0.1",
            "192.0.2.1",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "fe80::1",
            "febf::1",
            "fc00::1",
            "fd12:3456::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:c0a8:0101::1",
        ];
        for case in cases {
            assert!(!is_public(ip(case)), "{case} must be rejected");
        }
    }

    #[test]
    fn public_addresses_accepted() {
        let cases = [
            "1.1.1.1",
            "8.8.8.8",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "169.253.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:0808:0808::1",
        ];
        for case in cases {
            assert!(is_public(ip(case)), "{case} must be accepted");
        }
    }

    #[test]
    fn allow_private_accepts_loopback() {
        assert!(check_ip("localhost", ip("127.0.0.1"), true).is_ok());
        let err = check_ip("localhost", ip("127.0.0.1"), false).unwrap_err();
        assert_eq!(err.host, "localhost");
        assert_eq!(err.address, ip("127.0.0.1"));
    }

    #[test]
    fn url_ip_literal_checked() {
        let v4 = url::Url::parse("https://127.0.0.1:8443/issuer").expect("url");
        let v6 = url::Url::parse("https://[::ffff:169.254.169.254]/").expect("url");
        let octal_like = url::Url::parse("https://0177.1/").expect("url");
        let domain = url::Url::parse("https://issuer.example/").expect("url");
        assert!(check_url_host(&v4, false).is_err());
        assert!(check_url_host(&v6, false).is_err());
        assert!(check_url_host(&octal_like, false).is_err());
        assert!(check_url_host(&domain, false).is_ok());
        assert!(check_url_host(&v4, true).is_ok());
    }

    #[tokio::test]
    async fn resolver_rejects_localhost() {
        let name: Name = "localhost".parse().expect("name");
        let result = PolicyResolver::new(false).resolve(name).await;
        let err = result.err().expect("localhost must be rejected");
        assert!(err.downcast_ref::<AddressRejected>().is_some(), "{err}");
    }

    #[tokio::test]
    async fn resolver_allows_localhost_when_private_allowed() {
        let name: Name = "localhost".parse().expect("name");
        let addrs: Vec<SocketAddr> = PolicyResolver::new(true)
            .resolve(name)
            .await
            .expect("resolve")
            .collect();
        assert!(!addrs.is_empty());
        assert!(addrs.iter().all(|a| a.ip().is_loopback()));
    }
}
