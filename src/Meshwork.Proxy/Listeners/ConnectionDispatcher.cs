using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Meshwork.Proxy.Authorization;
using Meshwork.Proxy.Connections;
using Meshwork.Proxy.Http;
using Meshwork.Proxy.Runtime;
using Meshwork.Proxy.Security;
using Meshwork.Proxy.Stats;
using Meshwork.Proxy.Upstream;
using Microsoft.AspNetCore.Connections;

namespace Meshwork.Proxy.Listeners;

/// <summary>
/// What the HTTP request path needs from its connection: the listener's manager, whether TLS was
/// terminated here, and the client's verified certificate when that TLS was mutual (its identity:
/// XFCC, and later <c>source.principal</c>). Replaced once by the finished handshake, then fixed.
/// </summary>
internal sealed record HttpConnectionState(HttpManager Manager, bool IsTls, string? ServerName, DownstreamPeer? Peer = null);

/// <summary>
/// Decides, per accepted connection, what it is (Envoy's listener: listener filters → filter chain
/// match → network filters): reads the ClientHello when the listener matches on TLS facts, picks
/// the filter chain, then either relays bytes (tcp_proxy, SNI passthrough), or terminates TLS when
/// the chain says so and hands the connection to HTTP (HTTP/1.1, or HTTP/2 by ALPN or preface).
/// A chain's network RBAC filters run first; a denied connection is closed.
/// </summary>
internal sealed partial class ConnectionDispatcher(DataPlane plane, StatsStore stats, TimeProvider time, Func<double> random, ILogger<ConnectionDispatcher> logger, SecretStore? secrets = null, Telemetry.MeshTelemetry? telemetry = null)
{
    /// <summary>Envoy's tls_inspector gives up after 15 s without a full ClientHello.</summary>
    private static readonly TimeSpan InspectionTimeout = TimeSpan.FromSeconds(15);

    private readonly Counter _noChain = stats.Counter("listener_manager.no_filter_chain_match");
    private readonly Counter _tlsFailures = stats.Counter("listener.ssl.connection_error");

    public async Task OnConnectionAsync(RunningListener running, ConnectionContext connection, ConnectionDelegate next)
    {
        var listener = running.Current;
        var local = connection.LocalEndPoint as IPEndPoint ?? new IPEndPoint(IPAddress.None, 0);
        var remote = connection.RemoteEndPoint as IPEndPoint ?? new IPEndPoint(IPAddress.None, 0);
        var facts = ConnectionFacts.Plain(local, remote);
        if (listener.Plan.NeedsTlsInspection)
        {
            var hello = await InspectAsync(connection);
            facts = ConnectionFacts.Inspected(local, remote, hello);
        }

        var chain = listener.Plan.Select(facts);
        if (chain == null)
        {
            _noChain.Increment();
            Log.NoChain(logger, listener.Name, remote, facts.ServerName ?? "-");
            connection.Abort();
            return;
        }

        listener.NetworkAuthorization.TryGetValue(chain, out var authorization);
        switch (chain)
        {
            case TcpProxyChainPlan tcp:
                await RelayAsync(connection, tcp, facts, authorization, listener.Source.Resource.TrafficDirection == Envoy.Config.Core.V3.TrafficDirection.Inbound);
                return;
            case HttpChainPlan http:
                // Compiling refuses network RBAC before a TLS-terminating HCM, so here the peer is plaintext.
                if (authorization != null && !await AllowsConnectionAsync(authorization, facts, peer: null, listener.Name))
                {
                    return;
                }

                var manager = listener.Managers[http];
                connection.Features.Set(new HttpConnectionState(manager, http.Tls != null, facts.ServerName));
                if (http.Tls != null)
                {
                    if (await TerminateTlsAsync(connection, http.Tls, facts, listener.Name) is { } tls)
                    {
                        if (tls.Peer != null)
                        {
                            connection.Features.Set(new HttpConnectionState(manager, true, facts.ServerName, tls.Peer));
                        }

                        await tls.ServeAsync(connection, next);
                    }

                    return;
                }

                if (await CleartextHttp2.StartsWithPrefaceAsync(connection))
                {
                    CleartextHttp2.SelectHttp2(connection);
                }

                await next(connection);
                return;
        }
    }

    private static async Task<ClientHello> InspectAsync(ConnectionContext connection)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        timeout.CancelAfter(InspectionTimeout);
        try
        {
            return await ClientHelloPeek.PeekAsync(connection.Transport.Input, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            return ClientHello.NotTls;
        }
    }

    private async Task<TerminatedTls?> TerminateTlsAsync(ConnectionContext connection, DownstreamTls tls, ConnectionFacts facts, string listenerName)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        timeout.CancelAfter(InspectionTimeout);
        var result = await TlsTermination.AuthenticateAsync(connection.Transport, tls, facts.ServerName, facts.ApplicationProtocols, timeout.Token, secrets);
        if (result.Connection == null)
        {
            _tlsFailures.Increment();
            Log.TlsFailed(logger, listenerName, result.Failure ?? "unknown");
            connection.Abort();
        }

        return result.Connection;
    }

    private async Task RelayAsync(ConnectionContext connection, TcpProxyChainPlan plan, ConnectionFacts facts, NetworkAuthorization? authorization, bool inbound)
    {
        Stream downstream = new DuplexPipeStream(connection.Transport);
        DownstreamPeer? peer = null;
        if (plan.Tls != null)
        {
            if (await TerminateTlsAsync(connection, plan.Tls, facts, plan.ListenerName) is not { } tls)
            {
                return;
            }

            downstream = tls.SslStream;
            peer = tls.Peer;
        }

        // Evaluated once, before any upstream connection (stricter than Envoy's first-byte check: a
        // server-first protocol gets nothing either); the peer is the verified mTLS client, if any.
        if (authorization != null && !await AllowsConnectionAsync(authorization, facts, peer, plan.ListenerName))
        {
            await downstream.DisposeAsync();
            return;
        }

        var settings = plan.Settings;
        var clusterName = settings.Cluster ?? settings.PickCluster(random());
        var tcpStats = TcpStatsFor(settings.StatPrefix);
        // Not connection.ConnectionClosed: Kestrel's socket transport fires it when the peer's FIN
        // arrives, which would tear down a half-closed relay before the upstream's answer comes back.
        // An abort (drain deadline, reset) fails the pumps' reads and writes instead.
        var started = time.GetTimestamp();
        var istio = plan.RecordsIstioStats && telemetry is { Enabled: true }
            ? new Telemetry.TcpConnectionMetrics(telemetry, inbound, peer?.Uri, peer?.LocalUriSans.FirstOrDefault(), plan.IstioStatsOverrides,
                plan.IstioStatsOverrides.Relabelled == Telemetry.StandardMetric.None ? default : new Telemetry.TcpAttributes(clusterName, Unmapped(facts.Destination), Unmapped(facts.Source), facts.ServerName))
            : null;
        if (plan.PeerExchangeProtocol is { } protocol && downstream is SslStream ssl && ssl.NegotiatedApplicationProtocol.ToString() == protocol)
        {
            // Istio's TCP metadata exchange: announce this workload, and take the client's announcement
            // off the front of its bytes (the source labels of the connection's metrics).
            istio?.AwaitDownstreamPeer();
            if (!await AnnounceAsync(downstream, CancellationToken.None))
            {
                await downstream.DisposeAsync();
                return;
            }

            downstream = new Telemetry.PeerExchangeStream(downstream, exchanged => istio?.DownstreamPeerKnown(exchanged));
        }

        var result = await TcpProxy.RunAsync(downstream, ct => ConnectUpstreamAsync(clusterName, facts, istio, ct), settings, tcpStats, time, CancellationToken.None);
        istio?.Closed(plane.Clusters.TryGet(clusterName, out var used) ? used.Model.Service : null, result.BytesToDownstream, result.BytesFromDownstream);
        if (result.Outcome == TcpProxyOutcome.UpstreamConnectFailed)
        {
            Log.TcpConnectFailed(logger, plan.ListenerName, clusterName, result.ConnectFailures);
        }

        if (settings.AccessLogs.Count > 0)
        {
            var elapsed = time.GetElapsedTime(started);
            var record = new Telemetry.AccessLogRecord
            {
                StartTime = time.GetUtcNow() - elapsed,
                ResponseFlags = result.Outcome == TcpProxyOutcome.UpstreamConnectFailed ? "UF" : "-",
                BytesReceived = result.BytesFromDownstream,
                BytesSent = result.BytesToDownstream,
                Duration = elapsed,
                UpstreamCluster = clusterName,
                DownstreamLocalAddress = Unmapped(facts.Destination),
                DownstreamRemoteAddress = Unmapped(facts.Source),
                RequestedServerName = facts.ServerName,
            };
            foreach (var log in settings.AccessLogs)
            {
                log.Log(record);
            }
        }
    }

    /// <summary>Writes this workload's metadata exchange announcement; false when the peer is gone.</summary>
    private async ValueTask<bool> AnnounceAsync(Stream stream, CancellationToken cancellationToken)
    {
        if (telemetry == null)
        {
            return true;
        }

        try
        {
            await stream.WriteAsync(telemetry.TcpPreamble, cancellationToken);
            await stream.FlushAsync(cancellationToken);
            return true;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Runs a chain's network RBAC and ext_authz filters; on a denial the caller returns, which closes the connection.</summary>
    private async ValueTask<bool> AllowsConnectionAsync(NetworkAuthorization authorization, ConnectionFacts facts, DownstreamPeer? peer, string listenerName)
    {
        // Envoy matches principal_name against the URI SAN, scheme included.
        var input = AuthorizationInput.ForConnection(Unmapped(facts.Source), Unmapped(facts.Destination), facts.ServerName, peer?.Uri);
        var checkFacts = facts with { Source = Unmapped(facts.Source), Destination = Unmapped(facts.Destination) };
        return await authorization.AllowsAsync(
            input,
            filter => NetworkExtAuthzCall.AskAsync(plane, filter, filter.BuildRequest(checkFacts, peer, time), time),
            policy => Log.RbacDenied(logger, listenerName, facts.Source, policy));
    }

    private static IPEndPoint Unmapped(IPEndPoint endpoint) =>
        endpoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endpoint.Address.MapToIPv4(), endpoint.Port) : endpoint;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TcpProxyStats> _tcpStats = new(StringComparer.Ordinal);

    private TcpProxyStats TcpStatsFor(string prefix) => _tcpStats.GetOrAdd(prefix, p =>
    {
        var created = new TcpProxyStats();
        stats.AddSource(() => created.Snapshot().Select(s => (new StatKey("tcp", p, s.Key), s.Value, s.Key.EndsWith("_active", StringComparison.Ordinal))));
        return created;
    });

    /// <summary>Load-balances and connects a TCP upstream (with its TLS, if any) within the cluster's connect timeout; a failure counts against the host (outlier detection) and the cluster.</summary>
    private async ValueTask<Stream> ConnectUpstreamAsync(string clusterName, ConnectionFacts facts, Telemetry.TcpConnectionMetrics? istio, CancellationToken cancellationToken)
    {
        if (!plane.Clusters.TryGet(clusterName, out var cluster))
        {
            throw new IOException($"cluster \"{clusterName}\" is not configured");
        }

        var endpoint = cluster.Pick(new PickContext(null, null, facts.Destination.Address.ToString(), facts.Destination.Port))
            ?? throw new IOException($"no healthy upstream in \"{clusterName}\"");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(cluster.Model.Connection.ConnectTimeout);
        try
        {
            // The endpoint's transport: plaintext, or the TLS its transport socket match asks for (Istio mTLS).
            var stream = await endpoint.Transport.ConnectTcpAsync(endpoint.Host, endpoint.Port, timeout.Token);
            if (cluster.Model.PeerExchangeProtocol is { } protocol && stream is SslStream ssl && ssl.NegotiatedApplicationProtocol.ToString() == protocol)
            {
                // The server's sidecar expects this workload's announcement first and sends its own ahead of its bytes.
                if (!await AnnounceAsync(stream, timeout.Token))
                {
                    await stream.DisposeAsync();
                    throw new IOException("the upstream closed during the metadata exchange");
                }

                stream = new Telemetry.PeerExchangeStream(stream, static _ => { });
            }

            Interlocked.Increment(ref cluster.Stats.UpstreamCxTotal);
            endpoint.ReportOutcome(UpstreamOutcome.Success);
            istio?.Opened(cluster.Model.Service, endpoint.Workload);
            return stream;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException or System.Security.Authentication.AuthenticationException or HttpRequestException)
        {
            // The transport counted the failure in upstream_cx_connect_fail.
            endpoint.ReportOutcome(UpstreamOutcome.ConnectFailure);
            throw;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 40, Level = LogLevel.Debug, Message = "listener {Listener}: no filter chain for {Remote} (SNI {ServerName}); closed")]
        public static partial void NoChain(ILogger logger, string listener, IPEndPoint remote, string serverName);

        [LoggerMessage(EventId = 42, Level = LogLevel.Debug, Message = "listener {Listener}: TLS handshake failed: {Reason}")]
        public static partial void TlsFailed(ILogger logger, string listener, string reason);

        [LoggerMessage(EventId = 44, Level = LogLevel.Debug, Message = "listener {Listener}: connection from {Remote} denied by RBAC (policy {Policy}); closed")]
        public static partial void RbacDenied(ILogger logger, string listener, IPEndPoint remote, string policy);

        [LoggerMessage(EventId = 43, Level = LogLevel.Information, Message = "listener {Listener}: TCP connection closed: cannot connect to cluster {Cluster} ({Attempts} attempts) UF")]
        public static partial void TcpConnectFailed(ILogger logger, string listener, string cluster, int attempts);
    }
}
