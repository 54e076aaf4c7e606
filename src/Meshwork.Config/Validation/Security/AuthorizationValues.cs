using System.Globalization;
using System.Text.RegularExpressions;
using Meshwork.Config.Values;

namespace Meshwork.Config.Validation.Security;

/// <summary>
/// The value checks of Istio's pkg/config/security used by AuthorizationPolicy: IPs and CIDRs,
/// ports, service accounts, path templates, and the condition attributes Istio knows.
/// </summary>
public static partial class AuthorizationValues
{
    public const int MaxServiceAccounts = 16;
    public const int MaxServiceAccountLength = 320;

    /// <summary>Reports every empty string of a list as "empty value not allowed".</summary>
    public static void CheckNonEmpty(ValueList<string> values, string path, RuleContext context)
    {
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i].Length == 0)
            {
                context.Error($"{path}[{i}]", "empty value not allowed");
            }
        }
    }

    /// <summary>Istio's ValidateIPs: an address (netip.ParseAddr) or, with a '/', a prefix (netip.ParsePrefix, host bits allowed).</summary>
    public static string? IpError(string value)
    {
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return Checks.IsIpAddress(value) ? null : $"bad IP address \"{value}\"";
        }

        var address = value[..slash];
        var bits = value[(slash + 1)..];
        if (!Checks.IsIpAddress(address))
        {
            return $"bad CIDR range \"{value}\": invalid address \"{address}\"";
        }

        if (address.Contains('%', StringComparison.Ordinal))
        {
            return $"bad CIDR range \"{value}\": IPv6 zones cannot be present in a prefix";
        }

        if (bits.Length == 0 || bits.Length > 3 || !bits.All(char.IsAsciiDigit) || (bits.Length > 1 && bits[0] == '0'))
        {
            return $"bad CIDR range \"{value}\": bad bits after slash \"{bits}\"";
        }

        var max = address.Contains(':', StringComparison.Ordinal) ? 128 : 32;
        return int.Parse(bits, CultureInfo.InvariantCulture) > max ? $"bad CIDR range \"{value}\": prefix length out of range" : null;
    }

    public static void CheckIps(ValueList<string> values, string path, RuleContext context)
    {
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i].Length > 0 && IpError(values[i]) is { } error)
            {
                context.Error($"{path}[{i}]", error);
            }
        }
    }

    /// <summary>Istio's ValidatePorts: an unsigned decimal number up to 65535 (0 is accepted).</summary>
    public static string? PortError(string value) =>
        value.Length > 0 && value.All(char.IsAsciiDigit) && ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535
            ? null
            : $"bad port \"{value}\": must be a number in 0..65535";

    public static void CheckPorts(ValueList<string> values, string path, RuleContext context)
    {
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i].Length > 0 && PortError(values[i]) is { } error)
            {
                context.Error($"{path}[{i}]", error);
            }
        }
    }

    /// <summary>Istio's CheckServiceAccount: at most 16 values of <c>sa</c> or <c>ns/sa</c>, no wildcards, at most 320 characters.</summary>
    public static void CheckServiceAccounts(ValueList<string> values, string path, RuleContext context)
    {
        if (values.Count > MaxServiceAccounts)
        {
            context.Error(path, $"may not have more than {MaxServiceAccounts} values, got {values.Count}");
        }

        for (var i = 0; i < values.Count; i++)
        {
            if (ServiceAccountError(values[i]) is { } error)
            {
                context.Error($"{path}[{i}]", error);
            }
        }
    }

    public static string? ServiceAccountError(string value)
    {
        const string Format = "expected format 'serviceAccount' or 'namespace/serviceAccount'";
        if (value.Length == 0)
        {
            return "empty value not allowed";
        }

        if (value.Contains('*', StringComparison.Ordinal))
        {
            return $"wildcard not allowed, got \"{value}\"";
        }

        if (value.Count(c => c == '/') > 1)
        {
            return $"{Format}, got \"{value}\"";
        }

        if (value.Length > MaxServiceAccountLength)
        {
            return $"value cannot exceed {MaxServiceAccountLength} characters, got {value.Length}";
        }

        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash == 0)
        {
            return $"{Format}, found empty namespace in \"{value}\"";
        }

        return slash == value.Length - 1 ? $"{Format}, found empty serviceAccount in \"{value}\"" : null;
    }

    /// <summary>Istio's CheckValidPathTemplate: <c>{*}</c> and <c>{**}</c> segments, <c>{**}</c> last, other segments RFC 3986 pchars.</summary>
    public static string? PathTemplateError(string path)
    {
        var isTemplate = path.Contains("{*}", StringComparison.Ordinal) || path.Contains("{**}", StringComparison.Ordinal);
        var matchAnySeen = false;
        foreach (var glob in path.Trim('/').Split('/'))
        {
            if (glob is "{*}" or "{**}")
            {
                if (matchAnySeen)
                {
                    return $"invalid or unsupported path {path}: {{**}} is not the last operator";
                }

                matchAnySeen = glob == "{**}";
                continue;
            }

            if (glob.Contains('{', StringComparison.Ordinal) || glob.Contains('}', StringComparison.Ordinal))
            {
                return $"invalid or unsupported path {path}: contains '{{' or '}}' beyond a supported path template";
            }

            if (isTemplate && !PathLiteral().IsMatch(glob))
            {
                return $"invalid or unsupported path {path}: contains segment {glob} with invalid string literal";
            }
        }

        return null;
    }

    /// <summary>Istio's ValidateAttribute for the key alone: null when Istio supports the attribute.</summary>
    public static string? AttributeKeyError(string key)
    {
        if (key.StartsWith("request.headers", StringComparison.Ordinal)
            || key.StartsWith("request.experimental.inline.headers", StringComparison.Ordinal)
            || key.StartsWith("request.auth.claims", StringComparison.Ordinal)
            || key.StartsWith("experimental.envoy.filters.", StringComparison.Ordinal))
        {
            return MapKeyError(key);
        }

        if (key is "source.ip" or "remote.ip" or "source.namespace" or "source.serviceAccount" or "source.principal"
            or "request.auth.principal" or "request.auth.audiences" or "request.auth.presenter"
            or "destination.ip" or "destination.port" or "connection.sni")
        {
            return null;
        }

        if (key == "destination.namespace")
        {
            return $"attribute {key} is replaced by the metadata.namespace";
        }

        if (key.StartsWith("destination.labels", StringComparison.Ordinal))
        {
            return $"attribute {key} is replaced by the workload selector";
        }

        return key is "destination.name" or "destination.user"
            ? $"deprecated attribute {key}: only supported in v1alpha1"
            : $"unknown attribute: {key}";
    }

    /// <summary>The value check Istio applies for a supported attribute, or null when any non-empty value goes.</summary>
    public static Func<string, string?>? AttributeValueCheck(string key) => key switch
    {
        "source.ip" or "remote.ip" or "destination.ip" => IpError,
        "destination.port" => PortError,
        "source.serviceAccount" => ServiceAccountError,
        _ => null,
    };

    private static string? MapKeyError(string key)
    {
        var open = key.IndexOf('[', StringComparison.Ordinal);
        return key.EndsWith(']') && open > 0 && open < key.Length - 2 ? null : $"bad key ({key}): should have format a[b]";
    }

    [GeneratedRegex("^[a-zA-Z0-9-._~%!$&'()+,;:@=]+\\z")]
    private static partial Regex PathLiteral();
}
