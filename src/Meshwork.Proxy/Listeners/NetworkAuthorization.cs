using Envoy.Service.Auth.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Proxy.Authorization;
using Meshwork.Proxy.Connections;
using Meshwork.Proxy.Http;
using Meshwork.Proxy.Runtime;
using Meshwork.Proxy.Security;
using Meshwork.Proxy.Stats;
using Meshwork.Proxy.Upstream;
using NetworkExtAuthz = Envoy.Extensions.Filters.Network.ExtAuthz.V3.ExtAuthz;

namespace Meshwork.Proxy.Listeners;

/// <summary>
/// Envoy's <c>envoy.filters.network.ext_authz</c>, compiled: the gRPC Authorization service to ask
/// once per connection (cluster, :authority, timeout), whether a failed call lets the connection
/// through, whether the client's certificate goes with the check, when the filter runs at all
/// (filter_enabled_metadata on the network RBAC shadow result, as Istio gates CUSTOM policies), and
/// Envoy's <c>ext_authz.PREFIX.*</c> counters.
/// </summary>
internal sealed class NetworkExtAuthzFilter
{
    private NetworkExtAuthzFilter(NetworkExtAuthz config, string where, StatsStore stats)
    {
        if (config.StatPrefix.Length == 0)
        {
            throw new ProxyConfigException($"{where}.stat_prefix: required");
        }

        if (config.GrpcService?.EnvoyGrpc is not { ClusterName.Length: > 0 } grpc)
        {
            throw new ProxyConfigException($"{where}.grpc_service.envoy_grpc.cluster_name: required (google_grpc is not supported)");
        }

        Cluster = grpc.ClusterName;
        Authority = grpc.Authority.Length > 0 ? grpc.Authority : grpc.ClusterName;
        var timeout = config.GrpcService.Timeout is { } t ? t.ToTimeSpan() : TimeSpan.FromMilliseconds(200);
        Timeout = timeout <= TimeSpan.Zero ? System.Threading.Timeout.InfiniteTimeSpan : timeout;
        FailureModeAllow = config.FailureModeAllow;
        IncludePeerCertificate = config.IncludePeerCertificate;
        IncludeTlsSession = config.IncludeTlsSession;
        EnabledBy = config.FilterEnabledMetadata is { } gate ? MetadataGate.Compile(gate, where + ".filter_enabled_metadata", RbacFilter.NetworkName) : null;
        var prefix = "ext_authz." + config.StatPrefix.TrimEnd('.') + ".";
        Total = stats.Counter(prefix + "total");
        Ok = stats.Counter(prefix + "ok");
        Denied = stats.Counter(prefix + "denied");
        Error = stats.Counter(prefix + "error");
        Disabled = stats.Counter(prefix + "disabled");
        FailureModeAllowed = stats.Counter(prefix + "failure_mode_allowed");
    }

    public string Cluster { get; }

    public string Authority { get; }

    public TimeSpan Timeout { get; }

    public bool FailureModeAllow { get; }

    public bool IncludePeerCertificate { get; }

    public bool IncludeTlsSession { get; }

    public MetadataGate? EnabledBy { get; }

    public Counter Total { get; }

    public Counter Ok { get; }

    public Counter Denied { get; }

    public Counter Error { get; }

    public Counter Disabled { get; }

    public Counter FailureModeAllowed { get; }

    public static NetworkExtAuthzFilter Compile(NetworkExtAuthz config, string where, StatsStore stats) => new(config, where, stats);

    /// <summary>The connection's CheckRequest: both peers' addresses, the verified client principal (and certificate), and the SNI.</summary>
    public CheckRequest BuildRequest(in ConnectionFacts facts, DownstreamPeer? peer, TimeProvider time)
    {
        var source = new AttributeContext.Types.Peer { Address = ExtAuthzGrpcCheck.Address(facts.Source.Address, facts.Source.Port) };
        if (peer != null)
        {
            source.Principal = peer.Uri ?? string.Empty;
            if (IncludePeerCertificate)
            {
                source.Certificate = peer.UrlEncodedPem;
            }
        }

        var attributes = new AttributeContext
        {
            Source = source,
            Destination = new AttributeContext.Types.Peer { Address = ExtAuthzGrpcCheck.Address(facts.Destination.Address, facts.Destination.Port) },
            Request = new AttributeContext.Types.Request { Time = Timestamp.FromDateTimeOffset(time.GetUtcNow()) },
        };
        if (IncludeTlsSession && facts.ServerName != null)
        {
            attributes.TlsSession = new AttributeContext.Types.TLSSession { Sni = facts.ServerName };
        }

        return new CheckRequest { Attributes = attributes };
    }
}

/// <summary>
/// A chain's network authorization in Envoy's filter order: RBAC filters (Istio: CUSTOM shadow rules,
/// AUDIT, DENY, ALLOW) with the ext_authz filter between the ones before and after it. Evaluated
/// once per connection before any upstream connection; false means the connection is closed.
/// </summary>
internal sealed class NetworkAuthorization
{
    private const string PolicyKey = "shadow_effective_policy_id";
    private const string ResultKey = "shadow_engine_result";

    private readonly RbacFilter[] _rbac;
    private readonly NetworkExtAuthzFilter? _extAuthz;
    private readonly int _extAuthzAt;

    private NetworkAuthorization(RbacFilter[] rbac, NetworkExtAuthzFilter? extAuthz, int extAuthzAt)
    {
        _rbac = rbac;
        _extAuthz = extAuthz;
        _extAuthzAt = extAuthzAt;
    }

    /// <summary>Null when the chain has no authorization filters.</summary>
    public static NetworkAuthorization? Compile(ChainPlan chain, string listenerName, StatsStore stats)
    {
        if (chain.RbacFilters.Count == 0 && chain.ExtAuthz == null)
        {
            return null;
        }

        var where = $"listener \"{listenerName}\": {chain.ChainLabel}";
        var rbac = chain.RbacFilters.Select((f, i) => RbacFilter.CompileNetwork(f, $"{where}: {ListenerPlan.RbacFilter}[{i}]", stats)).ToArray();
        var extAuthz = chain.ExtAuthz is { } config ? NetworkExtAuthzFilter.Compile(config, $"{where}: {ListenerPlan.ExtAuthzFilter}", stats) : null;
        return new NetworkAuthorization(rbac, extAuthz, chain.ExtAuthzAt);
    }

    /// <summary>Runs the filters in order; <paramref name="check"/> asks the authorization service when the ext_authz filter is enabled.</summary>
    public async ValueTask<bool> AllowsAsync(AuthorizationInput input, Func<NetworkExtAuthzFilter, ValueTask<ExtAuthzVerdict>> check, Action<string> denied)
    {
        string? gateValue = null;
        for (var i = 0; i <= _rbac.Length; i++)
        {
            if (i == _extAuthzAt && _extAuthz is { } filter)
            {
                if (filter.EnabledBy is { } gate && !gate.Matches(gateValue))
                {
                    filter.Disabled.Increment();
                }
                else if (!await AskAsync(filter, check, denied))
                {
                    return false;
                }
            }

            if (i == _rbac.Length)
            {
                break;
            }

            var rbac = _rbac[i];
            if (!rbac.Allows(input, out var policy, out var shadow))
            {
                denied(policy ?? "none");
                return false;
            }

            if (shadow.Evaluated && _extAuthz?.EnabledBy is { } read && i < _extAuthzAt)
            {
                if (read.Key == rbac.ShadowRulesStatPrefix + PolicyKey && shadow.Policy != null)
                {
                    gateValue = shadow.Policy;
                }
                else if (read.Key == rbac.ShadowRulesStatPrefix + ResultKey)
                {
                    gateValue = shadow.Allowed ? "allowed" : "denied";
                }
            }
        }

        return true;
    }

    private static async ValueTask<bool> AskAsync(NetworkExtAuthzFilter filter, Func<NetworkExtAuthzFilter, ValueTask<ExtAuthzVerdict>> check, Action<string> denied)
    {
        filter.Total.Increment();
        switch (await check(filter))
        {
            case ExtAuthzVerdict.Ok:
                filter.Ok.Increment();
                return true;
            case ExtAuthzVerdict.Denied:
                filter.Denied.Increment();
                denied("ext_authz");
                return false;
            default:
                filter.Error.Increment();
                if (filter.FailureModeAllow)
                {
                    filter.FailureModeAllowed.Increment();
                    return true;
                }

                denied("ext_authz error");
                return false;
        }
    }
}

/// <summary>Sends a connection's check through the proxy's own upstream (the cluster's endpoints and HTTP/2 pool).</summary>
internal static class NetworkExtAuthzCall
{
    public static async ValueTask<ExtAuthzVerdict> AskAsync(DataPlane plane, NetworkExtAuthzFilter filter, CheckRequest request, TimeProvider time)
    {
        var (answer, _) = await ClusterCall.SendAsync(
            plane.Clusters,
            filter.Cluster,
            filter.Timeout,
            time,
            CancellationToken.None,
            (_, endpoint, invoker, cancel) => ExtAuthzGrpcCheck.SendAsync(request, filter.Authority, endpoint, invoker, cancel),
            static answer => answer.Verdict != ExtAuthzVerdict.Error);
        return answer?.Verdict ?? ExtAuthzVerdict.Error;
    }
}
