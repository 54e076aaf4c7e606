using Meshwork.Config.Networking;
using Meshwork.Config.Values;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Checks that several VirtualService rules share (destinations, gateway names, string matches, header
/// operations, hostname overlap), each reporting at the full path it is given. From Istio's
/// validation.go and virtualservice.go.
/// </summary>
public static class RoutingChecks
{
    /// <summary>The reserved gateway name for all sidecars.</summary>
    public const string MeshGateway = "mesh";

    /// <summary>Istio's isGateway: true unless <c>mesh</c> is listed, so also true when no gateway is listed.</summary>
    public static bool ListsNoMesh(VirtualService vs) => !vs.Gateways.Contains(MeshGateway);

    /// <summary>The VirtualService applies to gateways only: some gateways are listed and <c>mesh</c> is not one of them.</summary>
    public static bool AppliesToGatewayOnly(VirtualService vs) => !vs.Gateways.IsEmpty && ListsNoMesh(vs);

    /// <summary>Istio's isSniHost: some TLS match names SNI hosts.</summary>
    public static bool HasSniHosts(VirtualService vs) => vs.Tls.Any(t => t.Match.Any(m => !m.SniHosts.IsEmpty));

    /// <summary>validateDestination: host (not <c>*</c>, a wildcard domain or short name), subset (a DNS label), port.</summary>
    public static void Destination(Destination destination, string path, RuleContext context)
    {
        if (destination.Host.Length == 0)
        {
            context.Error(path + ".host", "required");
        }
        else if (destination.Host == "*")
        {
            context.Error(path + ".host", "invalid destination host \"*\": a destination must name one service");
        }
        else if (Checks.WildcardDomain(destination.Host) is { } hostError)
        {
            context.Error(path + ".host", $"invalid host \"{destination.Host}\": {hostError}");
        }

        if (destination.Subset.Length > 0 && !Checks.IsDns1123Label(destination.Subset))
        {
            context.Error(path + ".subset", $"invalid subset name \"{destination.Subset}\": must be a DNS-1123 label");
        }

        if (destination.Port != null && Checks.Port(destination.Port.Number) is { } portError)
        {
            context.Error(path + ".port.number", portError);
        }
    }

    /// <summary>
    /// validateHTTPRouteDestinations / validateRouteDestinations: each needs a destination and a
    /// non-negative weight; several destinations must not all weigh 0. Weights need not add up to 100.
    /// </summary>
    public static void WeightedDestinations(IReadOnlyList<(Destination? Destination, int Weight)> routes, string path, RuleContext context)
    {
        long total = 0;
        for (var i = 0; i < routes.Count; i++)
        {
            var (destination, weight) = routes[i];
            var item = $"{path}[{i}]";
            if (destination == null)
            {
                context.Error(item, "destination is required");
            }
            else
            {
                Destination(destination, item + ".destination", context);
            }

            if (weight < 0)
            {
                context.Error(item + ".weight", $"must not be negative, got {weight}");
            }

            total += weight;
        }

        if (routes.Count > 1 && total == 0)
        {
            context.Error(path, $"total destination weight must not be 0, got {string.Join(" + ", routes.Select(r => r.Weight))} = 0");
        }
    }

    /// <summary>
    /// validateGatewayNames: <c>namespace/name</c> with both parts DNS labels, or a bare name (such as
    /// <c>mesh</c>) that must be an FQDN; the legacy <c>name.namespace</c> form draws a warning.
    /// Istio stops at the first bare name and does not check the names after it; so does this.
    /// </summary>
    public static void GatewayNames(ValueList<string> names, string path, RuleContext context)
    {
        for (var i = 0; i < names.Count; i++)
        {
            var name = names[i];
            var item = $"{path}[{i}]";
            var slash = name.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0)
            {
                if (name.Contains('.', StringComparison.Ordinal))
                {
                    var parts = name.Split('.');
                    context.Warning(item, $"using legacy gatewayName format \"{name}\"; prefer the <namespace>/<name> format: \"{parts[1]}/{parts[0]}\"");
                }

                if (Checks.Fqdn(name) is { } fqdnError)
                {
                    context.Error(item, $"invalid gateway name \"{name}\": {fqdnError}");
                }

                return;
            }

            var ns = name[..slash];
            var gateway = name[(slash + 1)..];
            if (ns.Length == 0 || gateway.Length == 0)
            {
                context.Error(item, $"invalid gateway \"{name}\": namespace and gateway name cannot be empty");
            }

            if (ns.Length > 0 && !Checks.IsDns1123Label(ns))
            {
                context.Error(item, $"invalid namespace \"{ns}\" in gateway \"{name}\": must be a DNS-1123 label");
            }

            if (gateway.Length > 0 && !Checks.IsDns1123Label(gateway))
            {
                context.Error(item, $"invalid gateway name \"{gateway}\" in \"{name}\": must be a DNS-1123 label");
            }
        }
    }

    /// <summary>
    /// validateStringMatch (and, with <paramref name="allowEmptyPrefix"/>, validateStringMatchRegexp, used for
    /// <c>uri</c>, where Envoy accepts an empty prefix): no empty prefix, and a regex must be valid RE2.
    /// </summary>
    public static void StringMatch(StringMatch? match, string path, RuleContext context, bool allowEmptyPrefix = false)
    {
        if (match == null)
        {
            return;
        }

        if (match.Prefix is { Length: 0 } && !allowEmptyPrefix)
        {
            context.Error(path + ".prefix", "prefix string match should not be empty");
        }

        if (match.Regex != null)
        {
            Regex(match.Regex, path + ".regex", context);
        }
    }

    /// <summary>validateStringRegexp plus the empty check of validateStringMatchRegexp.</summary>
    public static void Regex(string pattern, string path, RuleContext context)
    {
        if (pattern.Length == 0)
        {
            context.Error(path, "regex string match should not be empty");
        }
        else if (pattern.Length > Re2Syntax.MaxLength)
        {
            context.Error(path, $"regex is too large, max length allowed is {Re2Syntax.MaxLength}, got {pattern.Length}");
        }
        else if (Re2Syntax.Check(pattern) is { } error)
        {
            context.Error(path, $"invalid regex \"{pattern}\": {error}; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)");
        }
    }

    /// <summary>The header operations of a route or of one destination: names and values Envoy will accept.</summary>
    public static void HeaderOperations(Headers? headers, string path, RuleContext context)
    {
        if (headers?.Request is { } request)
        {
            var at = path + ".request";
            foreach (var (name, value) in request.Add)
            {
                Report(context, $"{at}.add[{name}]", HttpHeaderChecks.RequestSetName(name), HttpHeaderChecks.Value(value));
            }

            foreach (var (name, value) in request.Set)
            {
                Report(context, $"{at}.set[{name}]", HttpHeaderChecks.RequestSetName(name), HttpHeaderChecks.Value(value));
            }

            for (var i = 0; i < request.Remove.Count; i++)
            {
                Report(context, $"{at}.remove[{i}]", HttpHeaderChecks.OperationName(request.Remove[i]), null);
            }
        }

        if (headers?.Response is { } response)
        {
            var at = path + ".response";
            foreach (var (name, value) in response.Add)
            {
                Report(context, $"{at}.add[{name}]", HttpHeaderChecks.OperationName(name), HttpHeaderChecks.Value(value));
            }

            foreach (var (name, value) in response.Set)
            {
                Report(context, $"{at}.set[{name}]", HttpHeaderChecks.OperationName(name), HttpHeaderChecks.Value(value));
            }

            for (var i = 0; i < response.Remove.Count; i++)
            {
                Report(context, $"{at}.remove[{i}]", HttpHeaderChecks.OperationName(response.Remove[i]), null);
            }
        }
    }

    /// <summary>
    /// host.Name.Matches: the names overlap, either way. <c>*.foo.com</c> overlaps <c>bar.foo.com</c> and
    /// <c>*.com</c>; <c>*</c> overlaps everything; <c>*.foo.com</c> does not overlap <c>foo.com</c>.
    /// </summary>
    public static bool HostsOverlap(string a, string b)
    {
        var aWild = a.StartsWith('*');
        var bWild = b.StartsWith('*');
        if (aWild && bWild)
        {
            return a.Length < b.Length ? b[1..].EndsWith(a[1..], StringComparison.Ordinal) : a[1..].EndsWith(b[1..], StringComparison.Ordinal);
        }

        if (aWild)
        {
            return b.EndsWith(a[1..], StringComparison.Ordinal);
        }

        return bWild ? a.EndsWith(b[1..], StringComparison.Ordinal) : a == b;
    }

    /// <summary>host.Name.SubsetOf: every name <paramref name="host"/> covers is covered by <paramref name="of"/>.</summary>
    public static bool HostIsSubsetOf(string host, string of)
    {
        var hostWild = host.StartsWith('*');
        var ofWild = of.StartsWith('*');
        if (hostWild)
        {
            return ofWild && host.Length >= of.Length && host[1..].EndsWith(of[1..], StringComparison.Ordinal);
        }

        return ofWild ? host.EndsWith(of[1..], StringComparison.Ordinal) : host == of;
    }

    /// <summary>
    /// ValidateWildcardDomainForVirtualServiceBoundToGateway: a wildcard domain, or, for SNI, the
    /// <c>outbound_.PORT_._.HOST</c> names that AUTO_PASSTHROUGH gateways route on.
    /// </summary>
    public static string? GatewayBoundDomain(string domain, bool sni)
    {
        if (Checks.Dns1123Preconditions(domain) is { } pre)
        {
            return pre;
        }

        if (sni && domain.StartsWith("outbound_", StringComparison.Ordinal))
        {
            const string format = "outbound_.<PORT>_._.<HOSTNAME>";
            var parts = domain.Split('_');
            if (parts.Length < 4)
            {
                return $"domain name {domain} invalid, should follow '{format}' format";
            }

            var port = parts[1].Trim('.');
            var host = parts[3].Trim('.');
            if (!port.Any(char.IsAsciiDigit))
            {
                return $"domain name \"{domain}\" invalid (label \"{port}\" invalid). should follow {format} format";
            }

            return host.Any(char.IsAsciiLetter) ? null : $"domain name \"{domain}\" invalid (label \"{host}\" invalid). should follow {format} format";
        }

        return Checks.WildcardDomain(domain);
    }

    private static void Report(RuleContext context, string path, string? nameError, string? valueError)
    {
        if (nameError != null)
        {
            context.Error(path, nameError);
        }

        if (valueError != null)
        {
            context.Error(path, valueError);
        }
    }
}
