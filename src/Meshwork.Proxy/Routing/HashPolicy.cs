using Meshwork.Proxy.Hashing;
using System.Globalization;
using System.Net;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using EnvoyHashPolicy = Envoy.Config.Route.V3.RouteAction.Types.HashPolicy;

namespace Meshwork.Proxy.Routing;

/// <summary>
/// A route's hash policies for ring-hash and Maglev balancing (Envoy's HashPolicyImpl): each policy
/// that yields a value is XXH64-hashed and folded in as <c>rotl(hash, 1) ^ next</c>, so repeated
/// policies do not cancel; a terminal policy that produced a hash ends the walk. A cookie policy
/// with a TTL whose cookie is missing makes up a value and asks the pipeline to set it. Filter-state
/// policies never yield (this proxy keeps no filter state).
/// </summary>
public sealed class HashPolicy
{
    private readonly Method[] _methods;

    private HashPolicy(Method[] methods) => _methods = methods;

    internal static HashPolicy? Compile(IReadOnlyList<EnvoyHashPolicy> policies, string where)
    {
        if (policies.Count == 0)
        {
            return null;
        }

        var methods = new Method[policies.Count];
        for (var i = 0; i < policies.Count; i++)
        {
            var policy = policies[i];
            methods[i] = policy.PolicySpecifierCase switch
            {
                EnvoyHashPolicy.PolicySpecifierOneofCase.Header => HeaderMethod(policy, where),
                EnvoyHashPolicy.PolicySpecifierOneofCase.Cookie when policy.Cookie.Name.Length > 0 => new Method(Kind.Cookie, policy.Cookie.Name, policy.Terminal)
                {
                    CookieTtl = policy.Cookie.Ttl?.ToTimeSpan(),
                    CookieSuffix = CookieSuffix(policy.Cookie),
                },
                EnvoyHashPolicy.PolicySpecifierOneofCase.ConnectionProperties => new Method(policy.ConnectionProperties.SourceIp ? Kind.SourceIp : Kind.Nothing, string.Empty, policy.Terminal),
                EnvoyHashPolicy.PolicySpecifierOneofCase.QueryParameter when policy.QueryParameter.Name.Length > 0 => new Method(Kind.QueryParameter, policy.QueryParameter.Name, policy.Terminal),
                EnvoyHashPolicy.PolicySpecifierOneofCase.FilterState => new Method(Kind.Nothing, policy.FilterState.Key, policy.Terminal),
                _ => throw new ProxyConfigException($"{where}: hash_policy[{i}]: {policy.PolicySpecifierCase} needs a name (header, cookie, query_parameter, connection_properties or filter_state)"),
            };
        }

        return new HashPolicy(methods);
    }

    /// <summary>
    /// The request's hash, or null when no policy yields one (the balancer then picks at random).
    /// <paramref name="setCookieHeader"/> is a Set-Cookie value to add to the response when a cookie
    /// policy made up its cookie.
    /// </summary>
    public ulong? ComputeHash(HttpRequest request, IPAddress? sourceIp, out string? setCookieHeader)
    {
        setCookieHeader = null;
        ulong? hash = null;
        foreach (var method in _methods)
        {
            if (method.Evaluate(request, sourceIp, ref setCookieHeader) is { } next)
            {
                var previous = hash is { } value ? BitOperations.RotateLeft(value, 1) : 0UL;
                hash = previous ^ next;
            }

            if (method.Terminal && hash != null)
            {
                break;
            }
        }

        return hash;
    }

    private static Method HeaderMethod(EnvoyHashPolicy policy, string where)
    {
        var header = policy.Header;
        if (header.HeaderName.Length == 0)
        {
            throw new ProxyConfigException($"{where}: hash_policy header needs header_name");
        }

        var method = new Method(Kind.Header, header.HeaderName.ToLowerInvariant(), policy.Terminal);
        if (header.RegexRewrite is { } rewrite)
        {
            var at = $"{where}: hash_policy header \"{header.HeaderName}\" regex_rewrite";
            var regex = Re2Regex.Search(rewrite.Pattern, at);
            return method with { Rewrite = regex, RewriteSubstitution = Re2Regex.Substitution(rewrite.Substitution, regex, at) };
        }

        return method;
    }

    private static string CookieSuffix(EnvoyHashPolicy.Types.Cookie cookie)
    {
        var suffix = new StringBuilder();
        if (cookie.Ttl?.ToTimeSpan() is { } ttl && ttl > TimeSpan.Zero)
        {
            suffix.Append("; Max-Age=").Append(((long)ttl.TotalSeconds).ToString(CultureInfo.InvariantCulture));
        }

        if (cookie.Path.Length > 0)
        {
            suffix.Append("; Path=").Append(cookie.Path);
        }

        foreach (var attribute in cookie.Attributes)
        {
            suffix.Append("; ").Append(attribute.Name);
            if (attribute.Value.Length > 0)
            {
                suffix.Append('=').Append(attribute.Value);
            }
        }

        return suffix.Append("; HttpOnly").ToString();
    }

    private enum Kind { Header, Cookie, SourceIp, QueryParameter, Nothing }

    private sealed record Method(Kind Kind, string Name, bool Terminal)
    {
        public TimeSpan? CookieTtl { get; init; }

        public string CookieSuffix { get; init; } = string.Empty;

        public Regex? Rewrite { get; init; }

        public string RewriteSubstitution { get; init; } = string.Empty;

        public ulong? Evaluate(HttpRequest request, IPAddress? sourceIp, ref string? setCookieHeader) => Kind switch
        {
            Kind.Header => HeaderHash(request),
            Kind.Cookie => CookieHash(request, sourceIp, ref setCookieHeader),
            Kind.SourceIp => sourceIp == null ? null : StableHash.Hash(sourceIp.ToString()),
            Kind.QueryParameter => request.Query.TryGetValue(Name, out var values) && values.Count > 0 ? StableHash.Hash(values[0]) : null,
            _ => null,
        };

        /// <summary>Several lines of the header hash in sorted order, each seeding the next, so their order does not matter.</summary>
        private ulong? HeaderHash(HttpRequest request)
        {
            var source = RequestValues.SourceOf(Name);
            if (source != RequestValueSource.Header)
            {
                return RequestValues.Get(request, source, Name) is { } single ? StableHash.Hash(Rewritten(single)) : null;
            }

            if (!request.Headers.TryGetValue(Name, out var values) || values.Count == 0)
            {
                return null;
            }

            if (values.Count == 1 && Rewrite == null)
            {
                return StableHash.Hash(values[0]);
            }

            var sorted = values.Select(v => Rewritten(v ?? string.Empty)).Order(StringComparer.Ordinal);
            var hash = 0UL;
            foreach (var value in sorted)
            {
                hash = StableHash.Hash(value, hash);
            }

            return hash;
        }

        private string Rewritten(string value) => Rewrite == null ? value : Rewrite.Replace(value, RewriteSubstitution);

        private ulong? CookieHash(HttpRequest request, IPAddress? sourceIp, ref string? setCookieHeader)
        {
            if (CookieValue(request.Headers.Cookie, Name) is { } existing)
            {
                return StableHash.Hash(existing);
            }

            if (CookieTtl == null)
            {
                return null;
            }

            // As Envoy: a value derived from the client address and this request (here its trace id), quoted in Set-Cookie.
            var made = StableHash.Hash(string.Concat(sourceIp?.ToString(), request.HttpContext.TraceIdentifier)).ToString("x16", CultureInfo.InvariantCulture);
            setCookieHeader = string.Concat(Name, "=\"", made, "\"", CookieSuffix);
            return StableHash.Hash(made);
        }

        /// <summary>Envoy's parseCookieValue: the first <c>name=value</c> pair, surrounding quotes removed.</summary>
        private static string? CookieValue(Microsoft.Extensions.Primitives.StringValues headers, string name)
        {
            foreach (var header in headers)
            {
                var rest = header.AsSpan();
                while (!rest.IsEmpty)
                {
                    var end = rest.IndexOf(';');
                    var pair = (end < 0 ? rest : rest[..end]).Trim();
                    rest = end < 0 ? default : rest[(end + 1)..];
                    var equals = pair.IndexOf('=');
                    if (equals > 0 && pair[..equals].SequenceEqual(name))
                    {
                        var value = pair[(equals + 1)..];
                        if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
                        {
                            value = value[1..^1];
                        }

                        return value.ToString();
                    }
                }
            }

            return null;
        }
    }
}
