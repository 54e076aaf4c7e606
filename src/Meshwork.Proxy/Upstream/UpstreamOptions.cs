using System.Net;
using System.Net.Sockets;

namespace Meshwork.Proxy.Upstream;

/// <summary>
/// What the proxy process decides about its upstreams, not meshd: where local-mode inbound
/// traffic really goes, where this proxy runs, and the clock, randomness and resolver the
/// upstream state uses (injected so load balancing, outlier detection and DNS are testable).
/// </summary>
public sealed record UpstreamOptions
{
    /// <summary>
    /// Inbound port → the app's real host and port (<c>--inbound PORT=HOST:APPPORT</c>). In local
    /// mode many apps share one host, so an <c>inbound|PORT||…</c> cluster's STATIC endpoint
    /// 127.0.0.1:PORT is replaced by the mapped address.
    /// </summary>
    public IReadOnlyDictionary<int, DnsEndPoint> InboundAppAddresses { get; init; } = new Dictionary<int, DnsEndPoint>();

    /// <summary>
    /// Where this proxy runs. Shown on /clusters; Pilot already ranks localities relative to the
    /// proxy (priorities, weights), and Envoy without a local cluster does no zone-aware routing,
    /// so load balancing does not read it.
    /// </summary>
    public UpstreamLocality Locality { get; init; } = UpstreamLocality.None;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The certificate agent's secrets (SDS <c>default</c>, <c>ROOTCA</c>), read at each TLS handshake; inactive without the agent.</summary>
    public Security.SecretStore Secrets { get; init; } = new(active: false);

    /// <summary>Uniform doubles in [0, 1), called from many threads at once (so thread-safe); seeded in tests.</summary>
    public Func<double> Random { get; init; } = System.Random.Shared.NextDouble;

    /// <summary>Host name resolution for STRICT_DNS clusters (Dns by default).</summary>
    public Func<string, AddressFamily, CancellationToken, Task<IPAddress[]>> ResolveHost { get; init; } =
        (host, family, ct) => Dns.GetHostAddressesAsync(host, family, ct);

    /// <summary>How long a removed cluster's connection pool lives on for requests still using it.</summary>
    public TimeSpan RemovedClusterGracePeriod { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The longest an idle pooled upstream connection is kept. Upstream servers close idle
    /// keep-alive connections after a few seconds (Node and Apache: 5 s); a connection the proxy
    /// reuses just as the server closes it fails the request (Istio's well-known 503 UC). Retiring
    /// idle connections earlier than any common server timeout avoids that race, so longer or
    /// unset <c>idle_timeout</c>s are capped at this.
    /// </summary>
    public TimeSpan MaxPooledConnectionIdleTime { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>
    /// Plaintext HTTP/1.1 requests go through the proxy's own client (one send for the head, the
    /// response parsed straight into the downstream response) instead of HttpClient and YARP's
    /// copies. On unless <c>MESH_PROXY_HTTP1_FAST_PATH=0</c>, which keeps the handler path for comparison.
    /// </summary>
    public bool Http1FastPath { get; init; } = Environment.GetEnvironmentVariable("MESH_PROXY_HTTP1_FAST_PATH") != "0";
}

/// <summary>An Envoy locality (region/zone/subzone); empty parts mean unknown.</summary>
public sealed record UpstreamLocality(string Region, string Zone, string SubZone)
{
    public static UpstreamLocality None { get; } = new(string.Empty, string.Empty, string.Empty);

    public override string ToString() => Region.Length == 0 && Zone.Length == 0 && SubZone.Length == 0 ? string.Empty : $"{Region}/{Zone}/{SubZone}";
}
