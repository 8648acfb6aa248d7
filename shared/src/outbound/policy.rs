//! The egress policy: which URLs and addresses an outbound request may
//! reach. Pure; the connector (`super::connector`) applies the same rules
//! to the addresses a host resolves to at connect time, so a name that
//! resolves elsewhere after it was accepted (DNS rebinding) gains nothing.
//!
//! Reachable: `https://` on an allowed port (443 unless
//! `SALES_WEBHOOK_PORTS` allows more), without credentials in the URL, to a
//! host name with a dot or a public unicast address. Refused: loopback,
//! private, link-local, shared (CGNAT), unique-local, multicast,
//! unspecified, broadcast, documentation, benchmarking and reserved
//! ranges, and the IPv4-mapped, IPv4-compatible, NAT64 and 6to4 forms of
//! those (docs/api.md, "Refused webhook addresses"). Local runs also reach
//! `127.0.0.1` and `localhost`, over `http://` or `https://` on any port,
//! and nothing else.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The port of `https://` when the URL names none.
pub const HTTPS_PORT: u16 = 443;

/// Where outbound requests may go; one per process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EgressPolicy {
    /// `127.0.0.1` and `localhost` too (local runs only).
    local: bool,
    /// The `https://` ports allowed (always 443 among them).
    ports: Vec<u16>,
}

/// A URL the policy accepts: what the connection will be made to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub host: Host,
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A name, resolved at connect time (and checked at creation).
    Name(String),
    Ip(IpAddr),
}

impl EgressPolicy {
    /// A deployed stack: public `https://` destinations on `ports` (443 is
    /// always allowed).
    pub fn deployed(ports: &[u16]) -> Self {
        let mut ports = ports.to_vec();
        ports.push(HTTPS_PORT);
        ports.sort_unstable();
        ports.dedup();
        EgressPolicy { local: false, ports }
    }

    /// A local run: the deployed rules, and `127.0.0.1` and `localhost`
    /// on any port, over `http://` too.
    pub fn local(ports: &[u16]) -> Self {
        EgressPolicy { local: true, ..Self::deployed(ports) }
    }

    /// The ports `https://` URLs may name.
    pub fn ports(&self) -> &[u16] {
        &self.ports
    }

    /// Checks a URL before it is stored or used; the message says what is
    /// wrong, for a 400 naming the field.
    pub fn check_url(&self, text: &str) -> Result<Destination, String> {
        if text.len() > 2048 || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("a URL of at most 2048 characters without spaces".into());
        }
        // The WHATWG parser reads hosts as browsers and resolvers do
        // (`https://2130706433/` is 127.0.0.1); hyper must read the same
        // URL too, or the request could not be made.
        let url = url::Url::parse(text).map_err(|_| "not an absolute URL".to_owned())?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err("an `https://` URL".into());
        }
        let uri = text.parse::<http::Uri>().map_err(|_| "not an absolute URL".to_owned())?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err("a URL without credentials (`user:password@`)".into());
        }
        let host = match url.host() {
            Some(url::Host::Domain(name)) => Host::Name(name.to_ascii_lowercase()),
            Some(url::Host::Ipv4(ip)) => Host::Ip(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Host::Ip(IpAddr::V6(ip)),
            None => return Err("a URL with a host".into()),
        };
        let port = url.port_or_known_default().unwrap_or(0);
        let destination = Destination { host, port };
        // The local allowance is for the host written `127.0.0.1` or
        // `localhost`: not for another spelling of it (`2130706433`,
        // `0x7f.1`), which only a probe would use.
        let written = uri.host().unwrap_or_default().to_ascii_lowercase();
        let loopback_allowed = self.local
            && destination.is_local_allowance()
            && matches!(written.as_str(), "127.0.0.1" | "localhost");
        match url.scheme() {
            "https" => {}
            "http" if loopback_allowed => {}
            "http" if self.local => {
                return Err("`http://` only to 127.0.0.1 or localhost (use https)".into());
            }
            _ => return Err("an `https://` URL".into()),
        }
        if loopback_allowed {
            return Ok(destination);
        }
        if !self.ports.contains(&port) {
            return Err(format!("an `https://` URL on port {}", self.port_list()));
        }
        match &destination.host {
            Host::Ip(ip) if !is_public_unicast(*ip) => {
                return Err(format!("a public address ({ip} is {})", describe(*ip)));
            }
            Host::Name(name) if !name.contains('.') || is_local_name(name) => {
                return Err("a fully qualified public host name".into());
            }
            _ => {}
        }
        Ok(destination)
    }

    /// Whether a connection to `ip` may be made for `host` (the URL's host:
    /// a name it resolved from, or the address itself).
    pub fn allows(&self, host: &Host, ip: IpAddr) -> bool {
        is_public_unicast(ip)
            || (self.local
                && match host {
                    Host::Name(name) => name == "localhost" && ip.is_loopback(),
                    Host::Ip(literal) => *literal == IpAddr::V4(Ipv4Addr::LOCALHOST),
                })
    }

    /// Whether a connection may be made to `port` of `host`.
    pub fn allows_port(&self, host: &Host, port: u16) -> bool {
        self.ports.contains(&port) || (self.local && is_local_allowance(host))
    }

    fn port_list(&self) -> String {
        let ports: Vec<String> = self.ports.iter().map(u16::to_string).collect();
        ports.join(" or ")
    }
}

impl Destination {
    /// `127.0.0.1` or `localhost`: what local runs may also reach.
    fn is_local_allowance(&self) -> bool {
        is_local_allowance(&self.host)
    }
}

fn is_local_allowance(host: &Host) -> bool {
    match host {
        Host::Name(name) => name == "localhost",
        Host::Ip(ip) => *ip == IpAddr::V4(Ipv4Addr::LOCALHOST),
    }
}

/// Names that resolve to this machine or the local network by convention.
fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.');
    ["localhost", "local", "internal", "localdomain", "home.arpa"]
        .iter()
        .any(|suffix| name == *suffix || name.ends_with(&format!(".{suffix}")))
}

/// Whether `ip` is a public unicast address: reachable on the internet and
/// nothing of this machine, its network or a reserved range.
pub fn is_public_unicast(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    // Forms that carry an IPv4 address: judged by that address.
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    // Global unicast is 2000::/3; everything else (loopback, unspecified,
    // unique-local, link-local, site-local, multicast, discard...) is not.
    if segments[0] & 0xe000 != 0x2000 {
        return false;
    }
    !(segments[0] == 0x2001 && segments[1] == 0x0db8 // documentation
        || segments[0] == 0x3fff && segments[1] < 0x1000 // documentation (RFC 9637)
        || segments[0] == 0x2001 && segments[1] == 0 // Teredo
        || segments[0] == 0x2001 && segments[1] == 2 && segments[2] == 0 // benchmarking
        || segments[0] == 0x2001 && (0x10..0x30).contains(&segments[1])) // ORCHID
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`),
/// IPv4-compatible (`::a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`,
/// `64:ff9b:1::/48`) or 6to4 (`2002:AABB:CCDD::`) address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(low),
        // `::` and `::1` are not IPv4-compatible addresses; the v6 rules
        // refuse them.
        [0, 0, 0, 0, 0, 0, _, _] if ip.segments()[6] != 0 => Some(low),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(low),
        [0x64, 0xff9b, 1, ..] => Some(Ipv4Addr::UNSPECIFIED),
        [0x2002, hi, lo, ..] => {
            Some(Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8))
        }
        _ => None,
    }
}

/// What kind of address `ip` is, for a refusal's message.
fn describe(ip: IpAddr) -> &'static str {
    let v4 = match ip {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(v6) => embedded_v4(v6),
    };
    match (ip, v4) {
        (_, Some(v4)) if v4.is_loopback() => "loopback",
        (_, Some(v4)) if v4.is_private() => "private",
        (_, Some(v4)) if v4.is_link_local() => "link-local",
        (_, Some(v4)) if v4.is_unspecified() => "unspecified",
        (_, Some(v4)) if v4.is_multicast() => "multicast",
        (IpAddr::V6(v6), None) if v6.is_loopback() => "loopback",
        (IpAddr::V6(v6), None) if v6.is_unspecified() => "unspecified",
        (IpAddr::V6(v6), None) if v6.is_multicast() => "multicast",
        (IpAddr::V6(v6), None) if v6.is_unique_local() => "unique-local",
        (IpAddr::V6(v6), None) if v6.is_unicast_link_local() => "link-local",
        _ => "not a public unicast address",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployed() -> EgressPolicy {
        EgressPolicy::deployed(&[])
    }

    /// Every form the issue names, and their neighbours: refused at
    /// creation with the field's message.
    #[test]
    fn refuses_every_address_that_is_not_public_unicast() {
        let refused = [
            "https://169.254.169.254/latest/meta-data/",
            "https://10.0.0.1/hook",
            "https://172.16.5.4/hook",
            "https://192.168.1.1/hook",
            "https://127.0.0.1/hook",
            "https://127.1/hook",
            "https://0x7f.0.0.1/hook",
            "https://0177.0.0.1/hook",
            "https://2130706433/hook",
            "https://0.0.0.0/hook",
            "https://0/hook",
            "https://100.64.0.1/hook",
            "https://100.127.255.254/hook",
            "https://192.0.0.8/hook",
            "https://192.0.2.1/hook",
            "https://198.51.100.7/hook",
            "https://203.0.113.9/hook",
            "https://198.18.0.1/hook",
            "https://224.0.0.1/hook",
            "https://239.255.255.250/hook",
            "https://255.255.255.255/hook",
            "https://240.0.0.1/hook",
            "https://[::1]/hook",
            "https://[::]/hook",
            "https://[::ffff:127.0.0.1]/hook",
            "https://[::ffff:7f00:1]/hook",
            "https://[::ffff:169.254.169.254]/hook",
            "https://[::ffff:10.0.0.1]/hook",
            "https://[::127.0.0.1]/hook",
            "https://[64:ff9b::127.0.0.1]/hook",
            "https://[64:ff9b::a9fe:a9fe]/hook",
            "https://[64:ff9b:1::8.8.8.8]/hook",
            "https://[2002:7f00:1::]/hook",
            "https://[2002:c0a8:101::1]/hook",
            "https://[fe80::1]/hook",
            "https://[fc00::1]/hook",
            "https://[fd12:3456:789a::1]/hook",
            "https://[fec0::1]/hook",
            "https://[ff02::1]/hook",
            "https://[2001:db8::1]/hook",
            "https://[3fff::1]/hook",
            "https://[2001::1]/hook",
            "https://[100::1]/hook",
            "https://[fd00:ec2::254]/hook",
        ];
        for url in refused {
            let refusal = deployed().check_url(url).expect_err(url);
            assert!(refusal.contains("public address"), "{url}: {refusal}");
        }
    }

    #[test]
    fn refuses_names_of_this_machine_and_its_network() {
        for url in [
            "https://localhost/hook",
            "https://LOCALHOST./hook",
            "https://db.localhost/hook",
            "https://metadata/hook",
            "https://printer.local/hook",
            "https://vault.internal/hook",
            "https://router.home.arpa/hook",
        ] {
            let refusal = deployed().check_url(url).expect_err(url);
            assert!(refusal.contains("fully qualified public host name"), "{url}: {refusal}");
        }
    }

    #[test]
    fn refuses_credentials_other_ports_other_schemes_and_junk() {
        let cases = [
            ("https://user:secret@hooks.example.com/x", "without credentials"),
            ("https://user@hooks.example.com/x", "without credentials"),
            ("https://:pw@hooks.example.com/x", "without credentials"),
            ("https://hooks.example.com:8443/x", "on port 443"),
            ("https://hooks.example.com:22/x", "on port 443"),
            ("https://8.8.8.8:80/x", "on port 443"),
            ("http://hooks.example.com/x", "an `https://` URL"),
            ("ftp://hooks.example.com/x", "an `https://` URL"),
            ("file:///etc/passwd", "an `https://` URL"),
            ("gopher://127.0.0.1:6379/_x", "an `https://` URL"),
            ("hooks.example.com/x", "not an absolute URL"),
            ("https://hooks.example.com/a b", "without spaces"),
            ("https:///x", "not an absolute URL"),
        ];
        for (url, why) in cases {
            let refusal = deployed().check_url(url).expect_err(url);
            assert!(refusal.contains(why), "{url}: {refusal}");
        }
    }

    #[test]
    fn accepts_public_destinations_and_the_ports_a_setting_allows() {
        let ok = deployed().check_url("https://hooks.example.com/sales").expect("name");
        assert_eq!(ok, Destination { host: Host::Name("hooks.example.com".into()), port: 443 });
        let ok = deployed().check_url("https://HOOKS.Example.com:443/x").expect("explicit 443");
        assert_eq!(ok.host, Host::Name("hooks.example.com".into()));
        deployed().check_url("https://8.8.8.8/hook").expect("public v4");
        deployed().check_url("https://[2606:4700:4700::1111]/hook").expect("public v6");
        deployed().check_url("https://[::ffff:8.8.8.8]/hook").expect("mapped public v4");
        let wider = EgressPolicy::deployed(&[8443]);
        assert_eq!(wider.check_url("https://hooks.example.com:8443/x").expect("8443").port, 8443);
        assert!(wider.check_url("https://hooks.example.com:8080/x").is_err());
        assert!(wider.check_url("https://10.0.0.1:8443/x").is_err());
    }

    #[test]
    fn local_runs_add_127_0_0_1_and_localhost_and_nothing_else() {
        let local = EgressPolicy::local(&[]);
        for url in [
            "http://127.0.0.1:8765/hook",
            "https://127.0.0.1:9/hook",
            "http://localhost:8765/hook",
            "https://localhost/hook",
        ] {
            local.check_url(url).expect(url);
        }
        for url in [
            "http://[::1]:8765/hook",
            "http://127.0.0.2:8765/hook",
            "http://10.0.0.1/hook",
            "https://169.254.169.254/",
            "http://hooks.example.com/x",
            "https://user:pw@localhost/x",
            // Other spellings of 127.0.0.1 are not the allowance.
            "https://2130706433/hook",
            "http://0x7f.1/hook",
            "http://127.1/hook",
            "http://[::ffff:127.0.0.1]/hook",
        ] {
            assert!(local.check_url(url).is_err(), "{url}");
        }
        for url in ["http://127.0.0.1:8765/hook", "https://localhost/hook"] {
            assert!(deployed().check_url(url).is_err(), "{url} in a deployed stack");
        }
    }

    #[test]
    fn connect_time_checks_follow_the_same_rules() {
        let local = EgressPolicy::local(&[]);
        let name = Host::Name("hooks.example.com".into());
        let localhost = Host::Name("localhost".into());
        let loopback: IpAddr = "127.0.0.1".parse().expect("ip");
        let v6_loopback: IpAddr = "::1".parse().expect("ip");
        let metadata: IpAddr = "169.254.169.254".parse().expect("ip");
        // A public name that resolves to a private address (DNS rebinding).
        assert!(!deployed().allows(&name, loopback));
        assert!(!local.allows(&name, loopback));
        assert!(!local.allows(&name, metadata));
        assert!(deployed().allows(&name, "8.8.8.8".parse().expect("ip")));
        // `localhost` locally, to its loopback addresses only.
        assert!(local.allows(&localhost, loopback));
        assert!(local.allows(&localhost, v6_loopback));
        assert!(!local.allows(&localhost, metadata));
        assert!(!deployed().allows(&localhost, loopback));
        assert!(local.allows(&Host::Ip(loopback), loopback));
        assert!(!local.allows(&Host::Ip(v6_loopback), v6_loopback));
        assert!(local.allows_port(&localhost, 8765));
        assert!(!local.allows_port(&name, 8765));
        assert!(deployed().allows_port(&name, 443));
    }
}
