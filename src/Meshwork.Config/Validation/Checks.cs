using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Meshwork.Config.Validation;

/// <summary>
/// The small checks every rule shares, with Istio's wording (pkg/config/validation/agent and
/// pkg/config/labels). Each returns null when the value is fine, else the message to report.
/// </summary>
public static partial class Checks
{
    public const int Dns1123LabelMaxLength = 63;

    /// <summary>Istio's IsDNS1123Label: alphanumerics and '-', starting and ending alphanumeric, at most 63 characters (Istio allows capitals).</summary>
    public static bool IsDns1123Label(string value) => value.Length <= Dns1123LabelMaxLength && Dns1123Label().IsMatch(value);

    /// <summary>Istio's IsWildcardDNS1123Label: also <c>*</c>, or a label led by <c>*</c> or <c>*-</c>.</summary>
    public static bool IsWildcardDns1123Label(string value) => value.Length <= Dns1123LabelMaxLength && WildcardLabel().IsMatch(value);

    /// <summary>A DNS-1123 subdomain (Kubernetes resource names): labels joined by dots, at most 253 characters.</summary>
    public static bool IsDns1123Subdomain(string value) => value.Length is > 0 and <= 253 && Dns1123Subdomain().IsMatch(value);

    public static string? Dns1123Preconditions(string name)
    {
        if (name.Length > 255)
        {
            return $"domain name \"{name}\" too long (max 255)";
        }

        return name.Length == 0 ? "empty domain name not allowed" : null;
    }

    public static string? Dns1123Labels(string domain)
    {
        var parts = domain.Split('.');
        var top = parts[^1];
        if (top.Length > 0 && int.TryParse(top, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
        {
            return $"domain name \"{domain}\" invalid (top level domain \"{top}\" cannot be all-numeric)";
        }

        for (var i = 0; i < parts.Length; i++)
        {
            if (i == parts.Length - 1 && parts[i].Length == 0)
            {
                return null;
            }

            if (!IsDns1123Label(parts[i]))
            {
                return $"domain name \"{domain}\" invalid (label \"{parts[i]}\" invalid)";
            }
        }

        return null;
    }

    /// <summary>Istio's ValidateFQDN.</summary>
    public static string? Fqdn(string fqdn) => Dns1123Preconditions(fqdn) ?? Dns1123Labels(fqdn);

    /// <summary>Istio's ValidateWildcardDomain: an FQDN whose first label may be a wildcard.</summary>
    public static string? WildcardDomain(string domain)
    {
        var pre = Dns1123Preconditions(domain);
        if (pre != null)
        {
            return pre;
        }

        var dot = domain.IndexOf('.', StringComparison.Ordinal);
        var first = dot < 0 ? domain : domain[..dot];
        if (!IsWildcardDns1123Label(first))
        {
            return $"domain name \"{domain}\" invalid (label \"{first}\" invalid)";
        }

        return dot < 0 ? null : Dns1123Labels(domain[(dot + 1)..]);
    }

    /// <summary>Istio's ValidatePartialWildCard: <c>*</c> alone or as a <c>*.</c> prefix only.</summary>
    public static string? PartialWildcard(string host) =>
        host.Contains('*', StringComparison.Ordinal) && host.Length != 1 && !host.StartsWith("*.", StringComparison.Ordinal)
            ? $"partial wildcard \"{host}\" not allowed"
            : null;

    /// <summary>Istio's ValidatePort.</summary>
    public static string? Port(long port) => port is >= 1 and <= 65535 ? null : $"port number {port} must be in the range 1..65535";

    /// <summary>Istio's ValidateDuration: at least 1ms, with millisecond precision.</summary>
    public static string? Duration(TimeSpan duration)
    {
        if (duration < TimeSpan.FromMilliseconds(1))
        {
            return "duration must be greater than 1ms";
        }

        return duration.Ticks % TimeSpan.TicksPerMillisecond != 0 ? "only durations to ms precision are supported" : null;
    }

    /// <summary>Istio's ValidateDurationRange (bounds inclusive).</summary>
    public static string? DurationRange(TimeSpan duration, TimeSpan min, TimeSpan max) =>
        duration > max || duration < min
            ? $"time {Binding.GoDuration.Format(duration)} must be >{Binding.GoDuration.Format(min)} and <{Binding.GoDuration.Format(max)}"
            : null;

    /// <summary>Istio's ValidatePercent (0..100).</summary>
    public static string? Percent(long value) => value is < 0 or > 100 ? $"percentage {value} is not in range 0..100" : null;

    /// <summary>Istio's ValidateIPAddress.</summary>
    public static string? IpAddress(string address) => IsIpAddress(address) ? null : $"{address} is not a valid IP";

    public static bool IsIpAddress(string address) =>
        address.Length > 0 && !address.Contains('/', StringComparison.Ordinal) && IPAddress.TryParse(address, out var ip) && Canonical(address, ip);

    /// <summary>Istio's ValidateIPSubnet: CIDR (<c>a.b.c.d/xx</c>, <c>2001:1::1/64</c>) or a plain address.</summary>
    public static string? IpSubnet(string subnet)
    {
        if (subnet.Count(c => c == '/') == 1)
        {
            return IPNetwork.TryParse(subnet, out _) || TryLoosePrefix(subnet) ? null : $"{subnet} is not a valid CIDR block";
        }

        return IpAddress(subnet);
    }

    /// <summary>Istio's validateTagKey: an optional DNS prefix and '/', then a qualified name of at most 63 characters.</summary>
    public static string? LabelKey(string key)
    {
        var match = TagKey().Match(key);
        if (!match.Success)
        {
            return $"invalid tag key: \"{key}\"";
        }

        if (match.Groups[1].Length - 1 > 253)
        {
            return $"invalid tag key: \"{key}\" (DNS prefix is too long)";
        }

        return match.Groups[2].Length > Dns1123LabelMaxLength ? $"invalid tag key: \"{key}\" (name is too long)" : null;
    }

    /// <summary>Istio's label value check: empty, or a qualified name.</summary>
    public static string? LabelValue(string value) => LabelValueRegex().IsMatch(value) ? null : $"invalid tag value: \"{value}\"";

    /// <summary>Istio's labels.Instance.Validate over a selector or label map.</summary>
    public static IEnumerable<(string Key, string Message)> Labels(IEnumerable<KeyValuePair<string, string>> labels)
    {
        foreach (var (key, value) in labels)
        {
            if (LabelKey(key) is { } keyError)
            {
                yield return (key, keyError);
            }

            if (LabelValue(value) is { } valueError)
            {
                yield return (key, valueError);
            }
        }
    }

    /// <summary>Istio's ValidateNamespaceSlashWildcardHostname for Sidecar egress and Gateway hosts.</summary>
    public static IEnumerable<string> NamespaceSlashWildcardHostname(string hostname, bool isGateway)
    {
        var slash = hostname.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            if (isGateway)
            {
                foreach (var e in HostnamePart(hostname, isGateway: true))
                {
                    yield return e;
                }

                yield break;
            }

            yield return "host must be of form namespace/dnsName";
            yield break;
        }

        var ns = hostname[..slash];
        var dns = hostname[(slash + 1)..];
        if (ns.Length == 0 || dns.Length == 0)
        {
            yield return "config namespace and dnsName in host entry cannot be empty";
        }

        if (ns is not ("*" or ".") && !(ns == "~" && !isGateway) && !IsDns1123Label(ns))
        {
            yield return $"invalid namespace value \"{ns}\" in {(isGateway ? "gateway" : "sidecar")}";
        }

        foreach (var e in HostnamePart(dns, isGateway))
        {
            yield return e;
        }
    }

    private static IEnumerable<string> HostnamePart(string hostname, bool isGateway)
    {
        if (hostname != "*" && !hostname.Contains('.', StringComparison.Ordinal))
        {
            yield return "short names (non FQDN) are not allowed";
        }

        if (WildcardDomain(hostname) is { } error && (!isGateway || !IsIpAddress(hostname)))
        {
            yield return error;
        }

        if (PartialWildcard(hostname) is { } partial)
        {
            yield return partial;
        }
    }

    private static bool Canonical(string text, IPAddress ip)
    {
        // IPAddress.TryParse accepts "1", "1.2" and "0x7f.1"; Go's netip.ParseAddr accepts only full dotted quads and IPv6 forms.
        if (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            var parts = text.Split('.');
            return parts.Length == 4 && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit) && (p.Length == 1 || p[0] != '0'));
        }

        return text.Contains(':', StringComparison.Ordinal) && !text.Contains('%', StringComparison.Ordinal) || text.Contains('%', StringComparison.Ordinal);
    }

    private static bool TryLoosePrefix(string subnet)
    {
        // Go's netip.ParsePrefix accepts host bits set (10.0.0.1/8); .NET's IPNetwork does not.
        var slash = subnet.IndexOf('/', StringComparison.Ordinal);
        var address = subnet[..slash];
        var bits = subnet[(slash + 1)..];
        if (!IsIpAddress(address) || bits.Length == 0 || bits.Length > 3 || !bits.All(char.IsAsciiDigit) || (bits.Length > 1 && bits[0] == '0'))
        {
            return false;
        }

        var max = address.Contains(':', StringComparison.Ordinal) ? 128 : 32;
        return int.Parse(bits, CultureInfo.InvariantCulture) <= max;
    }

    private const string Dns1123LabelFormat = "[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?";

    private const string QualifiedNameFormat = "(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";

    [GeneratedRegex("^" + Dns1123LabelFormat + "\\z")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex("^(\\*|(\\*|\\*-)?" + Dns1123LabelFormat + ")\\z")]
    private static partial Regex WildcardLabel();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\z")]
    private static partial Regex Dns1123Subdomain();

    [GeneratedRegex("^(" + Dns1123LabelFormat + "(?:\\." + Dns1123LabelFormat + ")*/)?(" + QualifiedNameFormat + ")\\z")]
    private static partial Regex TagKey();

    [GeneratedRegex("^(" + QualifiedNameFormat + ")?\\z")]
    private static partial Regex LabelValueRegex();
}
