using Envoy.Config.Core.V3;
using Envoy.Extensions.Filters.Http.ExtAuthz.V3;
using Envoy.Type.Matcher.V3;
using Envoy.Type.V3;
using Meshwork.Config.Mesh;
using Meshwork.Config.Resources;
using Meshwork.Config.Security;
using Meshwork.Config.Values;
using Meshwork.Pilot.Generators.Routes;
using Meshwork.Pilot.Model;
using Duration = Google.Protobuf.WellKnownTypes.Duration;
using HttpService = Envoy.Extensions.Filters.Http.ExtAuthz.V3.HttpService;
using MeshProvider = Meshwork.Config.Mesh.ExtensionProvider;
using NetworkExtAuthz = Envoy.Extensions.Filters.Network.ExtAuthz.V3.ExtAuthz;

namespace Meshwork.Pilot.Generators.Authorization;

/// <summary>
/// The ext_authz filters for one workload's CUSTOM policies (HTTP, and for a gRPC provider the
/// network filter its TCP ports use), or why none could be built (then they are enforced as a DENY).
/// </summary>
internal sealed record ExtAuthzResolution(ExtAuthz? Filter, string? Error, NetworkExtAuthz? Tcp = null);

/// <summary>
/// Istio's authz extension provider handling (pilot/pkg/security/authz/builder/extauthz.go): the
/// MeshConfig provider a CUSTOM policy names becomes an <c>envoy.filters.http.ext_authz</c> config
/// that calls the provider's service through its outbound cluster, enabled only for requests whose
/// shadow RBAC rules matched (the <c>istio_ext_authz_shadow_effective_policy_id</c> metadata starts
/// with <c>istio-ext-authz</c>). A workload uses one provider; an unknown provider, an unknown service
/// or mixed providers make it an error, and the policies fail closed.
/// </summary>
public static class ExtAuthzProviders
{
    public const string FilterName = "envoy.filters.http.ext_authz";

    /// <summary>Envoy's network ext_authz filter, which a gRPC provider gives TCP ports.</summary>
    public const string NetworkFilterName = "envoy.filters.network.ext_authz";

    /// <summary>The shadow rules' stat prefix; the RBAC filter writes its metadata keys under it.</summary>
    public const string ShadowRulesStatPrefix = "istio_ext_authz_";

    /// <summary>Every CUSTOM policy name starts with this, which is what the filter's metadata matcher looks for.</summary>
    public const string MatchPrefix = "istio-ext-authz";

    private static readonly Duration DefaultTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(600));

    /// <summary>The filter for <paramref name="custom"/> (the workload's CUSTOM policies, at least one).</summary>
    internal static ExtAuthzResolution Resolve(MeshSnapshot snapshot, IReadOnlyList<SelectedPolicy> custom)
    {
        var names = custom.Select(p => p.Spec.Provider?.Name ?? string.Empty).Distinct(StringComparer.Ordinal).ToList();
        if (names.Count != 1)
        {
            return new ExtAuthzResolution(null, $"only 1 provider can be used per workload, found multiple providers: [{string.Join(", ", names)}]");
        }

        return ResolveProvider(snapshot, names[0]);
    }

    /// <summary>
    /// What keeps each CUSTOM policy from reaching its provider (unknown provider, unresolvable
    /// service), one line per policy, for meshd to log: those policies deny what their rules match.
    /// </summary>
    public static IEnumerable<string> Problems(MeshSnapshot snapshot)
    {
        foreach (var resource in snapshot.Config.OfKind(ResourceKinds.AuthorizationPolicy))
        {
            var spec = resource.SpecAs<AuthorizationPolicy>();
            if (spec.Action == AuthorizationAction.Custom && ResolveProvider(snapshot, spec.Provider?.Name ?? string.Empty).Error is { } error)
            {
                yield return $"AuthorizationPolicy {resource.Namespace}/{resource.Name}: CUSTOM provider: {error}; the requests its rules match are denied";
            }
        }
    }

    private static ExtAuthzResolution ResolveProvider(MeshSnapshot snapshot, string name)
    {
        var provider = snapshot.Mesh.ExtensionProviders.FirstOrDefault(p => p.Name == name);
        if (provider == null)
        {
            var known = snapshot.Mesh.ExtensionProviders.Where(p => p.EnvoyExtAuthzHttp != null || p.EnvoyExtAuthzGrpc != null).Select(p => p.Name);
            return new ExtAuthzResolution(null, $"available providers are [{string.Join(", ", known)}] but found \"{name}\"");
        }

        return provider switch
        {
            { EnvoyExtAuthzHttp: { } http } => Build(snapshot, provider, http.Service, http.Port, c => (Http(c, http), null)),
            { EnvoyExtAuthzGrpc: { } grpc } => Build(snapshot, provider, grpc.Service, grpc.Port, c => (Grpc(c, grpc), GrpcForTcp(c, grpc))),
            _ => new ExtAuthzResolution(null, $"provider \"{name}\" is not an ext_authz provider"),
        };
    }

    private static ExtAuthzResolution Build(MeshSnapshot snapshot, MeshProvider provider, string service, uint port, Func<(string Hostname, string Cluster), (ExtAuthz Http, NetworkExtAuthz? Tcp)> build)
    {
        var (target, error) = LookupCluster(snapshot, service, port);
        if (target is not { } found)
        {
            return new ExtAuthzResolution(null, $"provider \"{provider.Name}\": {error}");
        }

        var (http, tcp) = build(found);
        return new ExtAuthzResolution(http, null, tcp);
    }

    /// <summary>Istio's LookupCluster: <c>NAMESPACE/HOSTNAME</c>, or a hostname defined in exactly one namespace.</summary>
    internal static ((string Hostname, string Cluster)? Target, string? Error) LookupCluster(MeshSnapshot snapshot, string service, uint port)
    {
        if (port is 0 or > 65535)
        {
            return (null, $"port must be in the range [1, 65535], found: {port}");
        }

        var parts = service.Split('/');
        string? hostname = null;
        if (parts.Length == 2)
        {
            hostname = snapshot.Registry.Service(parts[0], parts[1])?.Hostname;
        }
        else
        {
            var definitions = snapshot.Registry.ServicesFor(service);
            if (definitions.Length > 1)
            {
                return (null, $"found {service} in multiple namespaces [{string.Join(", ", definitions.Select(d => d.Namespace))}], specify the namespace explicitly in the format of <Namespace>/<Hostname>");
            }

            hostname = definitions.Length == 1 ? definitions[0].Hostname : null;
        }

        return hostname == null
            ? (null, $"could not find service {service} in the service registry")
            : ((hostname, ClusterNames.Outbound(port, string.Empty, hostname)), null);
    }

    private static ExtAuthz Http((string Hostname, string Cluster) target, ExtAuthzHttpProvider provider)
    {
        var service = new HttpService
        {
            PathPrefix = provider.PathPrefix,
            ServerUri = new HttpUri
            {
                // Envoy requires the URI but calls the cluster; the timeout is a large default so a DestinationRule can be the real one.
                Uri = $"http://{target.Hostname}",
                Cluster = target.Cluster,
                Timeout = provider.Timeout is { } timeout ? Duration.FromTimeSpan(timeout) : DefaultTimeout,
            },
        };
        var allowed = Headers(provider.IncludeRequestHeadersInCheck) ?? Headers(provider.IncludeHeadersInCheck);
        var added = provider.IncludeAdditionalHeadersInCheck
            .OrderBy(h => h.Key, StringComparer.Ordinal)
            .Select(h => new HeaderValue { Key = h.Key, Value = h.Value })
            .ToList();
        if (allowed != null || added.Count > 0)
        {
            service.AuthorizationRequest = new AuthorizationRequest { AllowedHeaders = allowed, HeadersToAdd = { added } };
        }

        if (!provider.HeadersToUpstreamOnAllow.IsEmpty || !provider.HeadersToDownstreamOnDeny.IsEmpty || !provider.HeadersToDownstreamOnAllow.IsEmpty)
        {
            service.AuthorizationResponse = new AuthorizationResponse
            {
                AllowedUpstreamHeaders = Headers(provider.HeadersToUpstreamOnAllow),
                AllowedClientHeaders = Headers(provider.HeadersToDownstreamOnDeny),
                AllowedClientHeadersOnSuccess = Headers(provider.HeadersToDownstreamOnAllow),
            };
        }

        return new ExtAuthz
        {
            HttpService = service,
            StatusOnError = Status(provider.StatusOnError),
            FailureModeAllow = provider.FailOpen,
            TransportApiVersion = ApiVersion.V3,
            FilterEnabledMetadata = EnabledByShadowRules(),
            WithRequestBody = Body(provider.IncludeRequestBodyInCheck),
        };
    }

    private static ExtAuthz Grpc((string Hostname, string Cluster) target, ExtAuthzGrpcProvider provider) => new()
    {
        GrpcService = GrpcTarget(target, provider),
        StatusOnError = Status(provider.StatusOnError),
        FailureModeAllow = provider.FailOpen,
        TransportApiVersion = ApiVersion.V3,
        FilterEnabledMetadata = EnabledByShadowRules(),
        WithRequestBody = Body(provider.IncludeRequestBodyInCheck),
    };

    /// <summary>A gRPC provider also guards TCP ports: Envoy's network ext_authz, one check per connection (an HTTP provider cannot).</summary>
    private static NetworkExtAuthz GrpcForTcp((string Hostname, string Cluster) target, ExtAuthzGrpcProvider provider) => new()
    {
        StatPrefix = AuthorizationFilters.TcpStatPrefix,
        GrpcService = GrpcTarget(target, provider),
        FailureModeAllow = provider.FailOpen,
        TransportApiVersion = ApiVersion.V3,
        FilterEnabledMetadata = EnabledByShadowRules(AuthorizationFilters.NetworkFilterName),
    };

    private static GrpcService GrpcTarget((string Hostname, string Cluster) target, ExtAuthzGrpcProvider provider) => new()
    {
        // '|' is not valid in a gRPC authority, and the cluster name is the default one.
        EnvoyGrpc = new GrpcService.Types.EnvoyGrpc { ClusterName = target.Cluster, Authority = target.Cluster.Replace("|", "_.", StringComparison.Ordinal) },
        Timeout = provider.Timeout is { } timeout ? Duration.FromTimeSpan(timeout) : DefaultTimeout,
    };

    /// <summary>Istio's header lists: case-insensitive, <c>x-*</c> a prefix and <c>*-id</c> a suffix match.</summary>
    private static ListStringMatcher? Headers(ValueList<string> headers)
    {
        if (headers.IsEmpty)
        {
            return null;
        }

        var list = new ListStringMatcher();
        foreach (var header in headers)
        {
            var matcher = new StringMatcher { IgnoreCase = true };
            if (header.StartsWith('*'))
            {
                matcher.Suffix = header[1..];
            }
            else if (header.EndsWith('*'))
            {
                matcher.Prefix = header[..^1];
            }
            else
            {
                matcher.Exact = header;
            }

            list.Patterns.Add(matcher);
        }

        return list;
    }

    private static HttpStatus? Status(string statusOnError) =>
        ExtAuthzStatus.Parse(statusOnError) is { } code ? new HttpStatus { Code = (StatusCode)code } : null;

    private static BufferSettings? Body(ExtAuthzRequestBody? body) => body == null ? null : new BufferSettings
    {
        MaxRequestBytes = body.MaxRequestBytes,
        AllowPartialMessage = body.AllowPartialMessage,
        PackAsBytes = body.PackAsBytes,
    };

    private static MetadataMatcher EnabledByShadowRules(string rbacFilter = AuthorizationFilters.HttpFilterName) => new()
    {
        Filter = rbacFilter,
        Path = { new MetadataMatcher.Types.PathSegment { Key = ShadowRulesStatPrefix + "shadow_effective_policy_id" } },
        Value = new ValueMatcher { StringMatch = new StringMatcher { Prefix = MatchPrefix } },
    };
}
