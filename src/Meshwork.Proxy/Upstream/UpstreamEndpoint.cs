using System.Net;
using Envoy.Config.Core.V3;

namespace Meshwork.Proxy.Upstream;

/// <summary>What happened to one request (or try) sent to an endpoint, as outlier detection classifies it.</summary>
public enum UpstreamOutcomeKind { Success, Http5xx, GatewayError, ConnectFailure, Reset, Timeout }

/// <summary>
/// One try's result, reported by the pipeline to <see cref="UpstreamEndpoint.ReportOutcome"/>.
/// A 502, 503 or 504 response counts as both a 5xx and a gateway error, whichever factory made it.
/// </summary>
public readonly record struct UpstreamOutcome(UpstreamOutcomeKind Kind, int Status)
{
    public static UpstreamOutcome Success { get; } = new(UpstreamOutcomeKind.Success, 0);

    public static UpstreamOutcome ConnectFailure { get; } = new(UpstreamOutcomeKind.ConnectFailure, 0);

    public static UpstreamOutcome Reset { get; } = new(UpstreamOutcomeKind.Reset, 0);

    public static UpstreamOutcome Timeout { get; } = new(UpstreamOutcomeKind.Timeout, 0);

    public static UpstreamOutcome Http5xx(int status) => new(status is >= 502 and <= 504 ? UpstreamOutcomeKind.GatewayError : UpstreamOutcomeKind.Http5xx, status);

    public static UpstreamOutcome GatewayError(int status) => new(UpstreamOutcomeKind.GatewayError, status);

    /// <summary>Any response status: below 500 is a success for outlier detection, as in Envoy.</summary>
    public static UpstreamOutcome FromStatus(int status) => status >= 500 ? Http5xx(status) : Success;

    /// <summary>Failures the proxy saw itself rather than a status the upstream sent.</summary>
    public bool IsLocalOrigin => Kind is UpstreamOutcomeKind.ConnectFailure or UpstreamOutcomeKind.Reset or UpstreamOutcomeKind.Timeout;
}

/// <summary>
/// One upstream host as the pipeline sees it: where to send (<see cref="DestinationPrefix"/>),
/// through which transport, and its counters. Immutable apart from <see cref="State"/>, which is
/// carried over to the replacement when an endpoint update keeps the address, so ejection
/// history and active-request counts survive EDS churn.
/// </summary>
public sealed class UpstreamEndpoint
{
    internal UpstreamEndpoint(string host, int port, uint weight, UpstreamLocality locality, uint priority, bool configuredHealthy, HealthStatus health, UpstreamTransport transport, EndpointState state)
    {
        Host = host;
        Port = port;
        Weight = weight;
        Locality = locality;
        Priority = priority;
        ConfiguredHealthy = configuredHealthy;
        Health = health;
        Transport = transport;
        State = state;
        Address = FormatAddress(host, port);
        DestinationPrefix = (transport.IsTls ? "https://" : "http://") + Address;
    }

    public string Host { get; }

    public int Port { get; }

    /// <summary><c>host:port</c>, IPv6 in brackets: the key endpoint state is kept under.</summary>
    public string Address { get; }

    /// <summary>What YARP's forwarder takes as the destination: <c>http://10.0.0.5:9080</c>, or <c>https://…</c> when the transport originates TLS.</summary>
    public string DestinationPrefix { get; }

    public uint Weight { get; }

    public UpstreamLocality Locality { get; }

    public uint Priority { get; }

    /// <summary>EDS said HEALTHY or UNKNOWN.</summary>
    public bool ConfiguredHealthy { get; }

    public HealthStatus Health { get; }

    /// <summary>The connection pool for this endpoint; check <see cref="UpstreamTransport.UnavailableReason"/> before sending.</summary>
    public UpstreamTransport Transport { get; }

    internal EndpointState State { get; }

    private Http1Pool? _http1Pool;
    private bool _http1PoolLooked;

    /// <summary>The proxy's own HTTP/1.1 pool for this endpoint, or null when the transport has none (looked up once).</summary>
    internal Http1Pool? Http1Pool
    {
        get
        {
            if (!Volatile.Read(ref _http1PoolLooked))
            {
                _http1Pool = Transport.Http1PoolFor(Host, Port);
                Volatile.Write(ref _http1PoolLooked, true);
            }

            return _http1Pool;
        }
    }

    /// <summary>The server workload Istio's endpoint metadata names (<c>istio.workload</c>), for metrics when no peer metadata is exchanged.</summary>
    internal Telemetry.PeerMetadata? Workload { get; init; }

    /// <summary>Index of the LocalityLbEndpoints entry the endpoint came from (locality-weighted picking groups by it).</summary>
    internal int LocalityGroup { get; init; }

    /// <summary>That entry's load_balancing_weight (0 = unset).</summary>
    internal uint LocalityWeight { get; init; }

    /// <summary>Healthy per EDS and not ejected by outlier detection.</summary>
    public bool IsAvailable => ConfiguredHealthy && !State.Ejected;

    public bool IsEjected => State.Ejected;

    public long ActiveRequests => Volatile.Read(ref State.ActiveRequests);

    /// <summary>Feeds outlier detection and the endpoint's error count; call once per try.</summary>
    public void ReportOutcome(UpstreamOutcome outcome)
    {
        if (outcome.Kind != UpstreamOutcomeKind.Success)
        {
            Interlocked.Increment(ref State.ErrorRequests);
        }

        State.Detector?.Report(State, outcome);
    }

    /// <summary>Counts a request on this endpoint until the returned lease is disposed (LEAST_REQUEST reads it).</summary>
    public EndpointRequestLease StartRequest()
    {
        Interlocked.Increment(ref State.ActiveRequests);
        Interlocked.Increment(ref State.TotalRequests);
        return new EndpointRequestLease(State);
    }

    public override string ToString() => Address;

    /// <summary><c>host:port</c> with IPs in canonical form and IPv6 bracketed, whether or not the host came bracketed.</summary>
    internal static string FormatAddress(string host, int port) =>
        !IPAddress.TryParse(host, out var ip) ? $"{host}:{port}"
        : ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]:{port}"
        : $"{ip}:{port}";
}

/// <summary>Ends an endpoint's active-request count once.</summary>
public struct EndpointRequestLease : IDisposable
{
    private EndpointState? _state;

    internal EndpointRequestLease(EndpointState state) => _state = state;

    public void Dispose()
    {
        if (_state != null)
        {
            Interlocked.Decrement(ref _state.ActiveRequests);
            _state = null;
        }
    }
}

/// <summary>
/// The mutable part of an endpoint that outlives endpoint updates: counters, and outlier
/// detection's view of it (guarded by the object's own lock; only failures and ejection changes
/// take it, never a successful request on a healthy host).
/// </summary>
internal sealed class EndpointState(string address, long createdTimestamp)
{
    public readonly string Address = address;

    /// <summary>When the host first appeared (slow start measures its age from here).</summary>
    public readonly long CreatedTimestamp = createdTimestamp;
    public long ActiveRequests;
    public long TotalRequests;
    public long ErrorRequests;
    public long ActiveConnections;

    public volatile bool Ejected;
    public volatile OutlierDetector? Detector;
    public int Consecutive5xx;
    public int ConsecutiveGatewayFailure;
    public int ConsecutiveLocalOriginFailure;
    public int EjectionCount;
    public long EjectedAtTimestamp;
}
