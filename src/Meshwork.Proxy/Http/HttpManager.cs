using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Meshwork.Proxy.Authn;
using Meshwork.Proxy.Authorization;
using Meshwork.Proxy.Routing;
using Meshwork.Proxy.Runtime;
using Meshwork.Proxy.Stats;

namespace Meshwork.Proxy.Http;

/// <summary>The statistics one HTTP connection manager keeps, under Envoy's <c>http.PREFIX.*</c> names.</summary>
internal sealed class HttpManagerStats(StatsStore store, string prefix)
{
    public Counter RqTotal { get; } = store.Counter("http", prefix, "downstream_rq_total");

    public Gauge RqActive { get; } = store.Gauge("http", prefix, "downstream_rq_active");

    public Counter Rq1xx { get; } = store.Counter("http", prefix, "downstream_rq_1xx");

    public Counter Rq2xx { get; } = store.Counter("http", prefix, "downstream_rq_2xx");

    public Counter Rq3xx { get; } = store.Counter("http", prefix, "downstream_rq_3xx");

    public Counter Rq4xx { get; } = store.Counter("http", prefix, "downstream_rq_4xx");

    public Counter Rq5xx { get; } = store.Counter("http", prefix, "downstream_rq_5xx");

    public Counter NoRoute { get; } = store.Counter("http", prefix, "no_route");

    public Counter NoCluster { get; } = store.Counter("http", prefix, "no_cluster");

    public Counter DirectResponse { get; } = store.Counter("http", prefix, "rq_direct_response");

    public Counter Redirect { get; } = store.Counter("http", prefix, "rq_redirect");

    public Counter FaultDelays { get; } = store.Counter("http", prefix, "fault.delays_injected");

    public Counter FaultAborts { get; } = store.Counter("http", prefix, "fault.aborts_injected");

    public Counter CorsPreflight { get; } = store.Counter("http", prefix, "cors.origin_valid");

    public Counter DownstreamReset { get; } = store.Counter("http", prefix, "downstream_rq_rx_reset");

    public Counter JwtAllowed { get; } = store.Counter("http", prefix, "jwt_authn.allowed");

    public Counter JwtDenied { get; } = store.Counter("http", prefix, "jwt_authn.denied");

    private readonly Counter[] _flags = ResponseFlagCodes.All.Select(f => store.Counter("http", prefix, "response_flags." + f.Code)).ToArray();

    public void CountStatus(int status)
    {
        (status switch
        {
            < 200 => Rq1xx,
            < 300 => Rq2xx,
            < 400 => Rq3xx,
            < 500 => Rq4xx,
            _ => Rq5xx,
        }).Increment();
    }

    public void CountFlags(ResponseFlags flags)
    {
        if (flags == ResponseFlags.None)
        {
            return;
        }

        var i = 0;
        foreach (var (flag, _) in ResponseFlagCodes.All)
        {
            if ((flags & flag) != 0)
            {
                _flags[i].Increment();
            }

            i++;
        }
    }
}

/// <summary>
/// One HTTP connection manager as the request path needs it, compiled when its listener arrives:
/// where its routes come from (inline, or an RDS table looked up in the current routing snapshot
/// so a route change never touches the listener), how it treats forwarding headers, how it
/// normalizes paths, its RBAC and ext_authz filters, and its stats.
/// </summary>
internal sealed class HttpManager
{
    private volatile bool _retired;

    /// <summary>Whether a listener change replaced this manager: its connections are draining.</summary>
    public bool Retired => _retired;

    /// <summary>Marks this manager replaced; requests still arriving on its connections close them after their response.</summary>
    public void Retire() => _retired = true;

    public HttpManager(HttpConnectionManager manager, RouteTable? inline, string? rdsName, string listenerName, bool inbound, StatsStore stats, Telemetry.MeshTelemetry? telemetry = null)
    {
        ListenerName = listenerName;
        StatPrefix = manager.StatPrefix.Length > 0 ? manager.StatPrefix : listenerName;
        InlineRoutes = inline;
        RdsName = rdsName;
        UseRemoteAddress = manager.UseRemoteAddress ?? false;
        XffTrustedHops = manager.XffNumTrustedHops;
        GenerateRequestId = manager.GenerateRequestId ?? true;
        PreserveExternalRequestId = manager.PreserveExternalRequestId;
        AllowWebSocket = manager.UpgradeConfigs.Any(u => string.Equals(u.UpgradeType, "websocket", StringComparison.OrdinalIgnoreCase) && (u.Enabled ?? true));
        Inbound = inbound;
        ClientCert = new ClientCertForwarding(manager);
        Stats = new HttpManagerStats(stats, StatPrefix);
        Paths = PathNormalizer.From(manager);
        Authorization = AuthorizationChain.Compile(manager, listenerName, stats, StatPrefix);
        AccessLogs = Meshwork.Proxy.Telemetry.AccessLogPlan.CompileAll(manager.AccessLog, $"listener \"{listenerName}\": http_connection_manager");
        Tracing = global::Meshwork.Proxy.Tracing.TracingPlan.Compile(manager.Tracing, $"listener \"{listenerName}\": http_connection_manager");
        var jwt = manager.HttpFilters.FirstOrDefault(f => f.Name == JwtAuthnPlan.FilterName);
        JwtAuthn = jwt?.TypedConfig != null ? JwtAuthnPlan.Compile(jwt.TypedConfig, $"listener \"{listenerName}\"") : null;
        Telemetry = Meshwork.Proxy.Telemetry.HttpTelemetryPlan.Compile(manager, inbound, telemetry, $"listener \"{listenerName}\": http_connection_manager");
        Mixer = Meshwork.Proxy.Mixer.MixerFilterPlan.Compile(manager, $"listener \"{listenerName}\": http_connection_manager", stats);
    }

    /// <summary>Istio's Mixer filter (policy checks, quotas, reports), or null when the manager has none.</summary>
    public Meshwork.Proxy.Mixer.MixerFilterPlan? Mixer { get; }

    /// <summary>Istio's metadata exchange and stats filters, or null when the manager has neither.</summary>
    public Meshwork.Proxy.Telemetry.HttpTelemetryPlan? Telemetry { get; }

    /// <summary>The path normalization every request gets before routing and authorization.</summary>
    public PathNormalizer Paths { get; }

    /// <summary>The RBAC and ext_authz filters of the HTTP filter chain, in order (Istio: CUSTOM, AUDIT, DENY, ALLOW); other filters are read where they act (routes).</summary>
    public AuthorizationChain Authorization { get; }

    /// <summary>The RBAC filters alone, in order.</summary>
    public RbacFilter[] Rbac => Authorization.Rbac;

    /// <summary>The manager's access logs (Envoy's file logger), empty when none is configured.</summary>
    public IReadOnlyList<Meshwork.Proxy.Telemetry.AccessLogPlan> AccessLogs { get; }

    /// <summary>The manager's tracer (Envoy's HCM tracing with a provider), or null when it traces nothing.</summary>
    public global::Meshwork.Proxy.Tracing.TracingPlan? Tracing { get; }

    /// <summary>The jwt_authn filter (a RequestAuthentication), or null when the manager has none.</summary>
    public JwtAuthnPlan? JwtAuthn { get; }

    public string ListenerName { get; }

    public string StatPrefix { get; }

    public RouteTable? InlineRoutes { get; }

    public string? RdsName { get; }

    public bool UseRemoteAddress { get; }

    public uint XffTrustedHops { get; }

    public bool GenerateRequestId { get; }

    public bool PreserveExternalRequestId { get; }

    public bool AllowWebSocket { get; }

    public bool Inbound { get; }

    /// <summary>What happens to <c>x-forwarded-client-cert</c> (forward_client_cert_details).</summary>
    public ClientCertForwarding ClientCert { get; }

    public HttpManagerStats Stats { get; }

    /// <summary>The route table in force for this manager: its own, or the named RDS table (null until it arrives: requests get 404 NR, as Envoy answers before RDS warms).</summary>
    public RouteTable? Routes(RoutingSnapshot routing) => InlineRoutes ?? (RdsName != null ? routing.Find(RdsName) : null);
}
