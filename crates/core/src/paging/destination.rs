//! Where Tocsin may send: outbound traffic is hostile territory.
//!
//! A webhook URL is typed by a user, so it can point anywhere Tocsin's host can reach: the
//! cloud metadata service (credentials), the host's own admin ports, the private network.
//! Link-local addresses (cloud metadata lives there) are always refused; with
//! `--deny-private-targets` private, loopback and other internal ranges are refused too. The
//! check runs on the resolved addresses of every attempt (not only when the URL is saved), so
//! a name that re-resolves to a forbidden address is still refused.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why a destination was refused; the text is shown on the timeline and in API errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the URL is not valid: {0}")]
    Malformed(String),
    #[error("only http and https URLs can be notified, not {0:?}")]
    Scheme(String),
    #[error("{0} is link-local or a cloud metadata address, which Tocsin never calls")]
    LinkLocal(IpAddr),
    #[error("{0} is a private, loopback or internal address, refused by --deny-private-targets")]
    Private(IpAddr),
    #[error("{0} is not a unicast address")]
    NotUnicast(IpAddr),
}

/// Whether to refuse private and loopback ranges as well as link-local ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Policy {
    pub deny_private: bool,
}

/// Check a URL's form: http or https, with a host. Its addresses are checked at send time.
pub fn check_url(raw: &str) -> Result<url::Url, Refused> {
    let url = url::Url::parse(raw.trim()).map_err(|e| Refused::Malformed(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refused::Scheme(url.scheme().to_owned()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Refused::Malformed("it has no host".into()));
    }
    Ok(url)
}

fn v4_link_local(ip: Ipv4Addr) -> bool {
    ip.is_link_local()
}

fn v4_internal(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || a == 0
        // carrier-grade NAT 100.64.0.0/10
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments 192.0.0.0/24, benchmarking 198.18.0.0/15
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || (a == 198 && (18..20).contains(&b))
}

fn v6_link_local(ip: Ipv6Addr) -> bool {
    // fe80::/10, and AWS's IPv6 metadata address fd00:ec2::254.
    (ip.segments()[0] & 0xffc0) == 0xfe80
        || ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)
}

fn v6_internal(ip: Ipv6Addr) -> bool {
    // unique local fc00::/7, loopback, unspecified
    (ip.segments()[0] & 0xfe00) == 0xfc00 || ip.is_loopback() || ip.is_unspecified()
}

/// Check one resolved address of a destination.
pub fn check_ip(ip: IpAddr, policy: Policy) -> Result<(), Refused> {
    // An IPv4 address written as IPv6 (::ffff:a.b.c.d) is judged as the IPv4 address.
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    let (link_local, internal, not_unicast) = match ip {
        IpAddr::V4(v4) => (
            v4_link_local(v4),
            v4_internal(v4),
            v4.is_multicast() || v4.is_broadcast() || v4.is_unspecified(),
        ),
        IpAddr::V6(v6) => (v6_link_local(v6), v6_internal(v6), v6.is_multicast()),
    };
    if link_local {
        Err(Refused::LinkLocal(ip))
    } else if not_unicast {
        Err(Refused::NotUnicast(ip))
    } else if internal && policy.deny_private {
        Err(Refused::Private(ip))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    #[test]
    fn metadata_and_link_local_are_always_refused() {
        for a in [
            "169.254.169.254",
            "169.254.0.1",
            "fe80::1",
            "febf::1",
            "fd00:ec2::254",
            "::ffff:169.254.169.254",
        ] {
            assert!(
                matches!(
                    check_ip(ip(a), Policy::default()),
                    Err(Refused::LinkLocal(_))
                ),
                "{a}"
            );
        }
    }

    #[test]
    fn private_ranges_only_with_deny_private() {
        let deny = Policy { deny_private: true };
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "::1",
            "fd12::1",
            "::ffff:127.0.0.1",
        ] {
            assert_eq!(check_ip(ip(a), Policy::default()), Ok(()), "{a}");
            assert!(
                matches!(check_ip(ip(a), deny), Err(Refused::Private(_))),
                "{a}"
            );
        }
        for a in ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"] {
            assert_eq!(check_ip(ip(a), deny), Ok(()), "{a}");
        }
        for a in ["224.0.0.1", "255.255.255.255", "0.0.0.0", "ff02::1"] {
            assert!(check_ip(ip(a), Policy::default()).is_err(), "{a}");
        }
    }

    #[test]
    fn urls_are_http_or_https_with_a_host() {
        assert!(check_url("https://hooks.example.com/x?y=1").is_ok());
        assert!(matches!(
            check_url("ftp://example.com"),
            Err(Refused::Scheme(_))
        ));
        assert!(matches!(
            check_url("file:///etc/passwd"),
            Err(Refused::Scheme(_))
        ));
        assert!(matches!(check_url("not a url"), Err(Refused::Malformed(_))));
        assert!(check_url("http://").is_err());
    }
}
