using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Proxy.Security;

namespace Meshwork.Proxy.Upstream;

/// <summary>
/// One connection pool of a cluster: an <see cref="HttpMessageInvoker"/> over a
/// <see cref="SocketsHttpHandler"/> set up from the cluster's connection settings, plus the TLS
/// it originates. TLS is done in the pool's connect callback, which hands the handler a ready
/// <see cref="UpstreamSslStream"/>: the cluster — not the request's Host header — decides SNI,
/// ALPN and certificate checks, and per-connection request limits see plaintext. A transport
/// whose credentials are missing has no invoker and says why in <see cref="UnavailableReason"/>
/// (the pipeline answers 503 UF).
/// </summary>
public sealed class UpstreamTransport : IDisposable
{
    private static readonly List<SslApplicationProtocol> Http2Alpn = [SslApplicationProtocol.Http2];
    private static readonly List<SslApplicationProtocol> Http11Alpn = [SslApplicationProtocol.Http11];

    private readonly TlsOrigination? _tls;
    private readonly ConnectionSettings _connection;
    private readonly ClusterStats _stats;
    private readonly Func<string, int, EndpointState?> _endpointState;
    private readonly AddressFamily _dnsFamily;
    private readonly X509Certificate2Collection? _clientCertificates;
    private readonly X509Certificate2Collection? _trustedCas;
    private readonly SecretStore _secrets;

    private readonly ConcurrentDictionary<string, Http1Pool>? _http1Pools;
    private readonly TimeProvider _time;
    private readonly TimeSpan _idleTimeout;
    private long _maxConnections = int.MaxValue;

    private UpstreamTransport(TransportModel model, ConnectionSettings connection, ClusterStats stats, Func<string, int, EndpointState?> endpointState, TimeSpan idleCap, AddressFamily dnsFamily, SecretStore secrets, TimeProvider time, bool http1FastPath)
    {
        _secrets = secrets;
        _time = time;
        _dnsFamily = dnsFamily;
        _tls = model.Tls;
        _connection = connection;
        _stats = stats;
        _endpointState = endpointState;
        IsTls = model.IsTls;
        UnavailableReason = _tls?.UnavailableReason;
        if (_tls?.SecretsUnavailableReason != null
            && ((_tls.ClientCertificateSecret != null && !secrets.Supplies(_tls.ClientCertificateSecret)) || (_tls.TrustedCaSecret != null && !secrets.Supplies(_tls.TrustedCaSecret))))
        {
            UnavailableReason ??= _tls.SecretsUnavailableReason;
        }
        if (model.ProxyProtocolVersion is { } version)
        {
            // The upstream expects a PROXY header carrying the downstream's addresses, which needs a pool per downstream
            // connection; connecting without it would only have the upstream reject the bytes, so fail clearly instead.
            UnavailableReason ??= $"upstream PROXY protocol v{version} (envoy.transport_sockets.upstream_proxy_protocol) is not supported yet";
        }

        if (_tls != null && UnavailableReason == null)
        {
            try
            {
                if (_tls.ClientCertificateFile != null)
                {
                    _clientCertificates = [X509Certificate2.CreateFromPemFile(_tls.ClientCertificateFile, _tls.ClientKeyFile)];
                }

                if (_tls.TrustedCaFile != null)
                {
                    _trustedCas = [];
                    _trustedCas.ImportFromPemFile(_tls.TrustedCaFile);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                UnavailableReason = $"TLS credentials unavailable: {e.Message}";
            }
        }

        if (UnavailableReason != null)
        {
            return;
        }

        _idleTimeout = connection.PooledIdleTimeout < idleCap ? connection.PooledIdleTimeout : idleCap;
        if (http1FastPath && _tls == null && connection.Protocol != UpstreamProtocol.Http2)
        {
            _http1Pools = new ConcurrentDictionary<string, Http1Pool>(StringComparer.Ordinal);
        }

        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ActivityHeadersPropagator = null,
            ConnectTimeout = connection.ConnectTimeout,
            PooledConnectionIdleTimeout = _idleTimeout,
            PooledConnectionLifetime = connection.MaxConnectionDuration ?? Timeout.InfiniteTimeSpan,
            MaxConnectionsPerServer = int.MaxValue,
            EnableMultipleHttp2Connections = true,
            ConnectCallback = ConnectAsync,
        };
        Handler = handler;
        Invoker = new HttpMessageInvoker(handler, disposeHandler: true);
    }

    /// <summary>Null when <see cref="UnavailableReason"/> is set.</summary>
    public HttpMessageInvoker? Invoker { get; }

    public bool IsTls { get; }

    public string? UnavailableReason { get; }

    internal SocketsHttpHandler? Handler { get; }

    /// <param name="dnsFamily">Address family for names resolved at connect time (LOGICAL_DNS's dns_lookup_family).</param>
    /// <param name="http1FastPath">Whether plaintext HTTP/1.1 requests may use the proxy's own client (<see cref="Http1PoolFor"/>) instead of the handler.</param>
    internal static UpstreamTransport Create(TransportModel model, ConnectionSettings connection, CircuitBreakerLimits limits, ClusterStats stats, Func<string, int, EndpointState?> endpointState, TimeSpan idleCap, AddressFamily dnsFamily, SecretStore? secrets = null, TimeProvider? time = null, bool http1FastPath = false)
    {
        var transport = new UpstreamTransport(model, connection, stats, endpointState, idleCap, dnsFamily, secrets ?? new SecretStore(active: false), time ?? TimeProvider.System, http1FastPath);
        if (transport.Handler != null && limits.MaxConnections < int.MaxValue)
        {
            transport.Handler.MaxConnectionsPerServer = (int)Math.Max(1, limits.MaxConnections);
            transport._maxConnections = transport.Handler.MaxConnectionsPerServer;
        }

        return transport;
    }

    /// <summary>
    /// The proxy's own HTTP/1.1 connection pool for one endpoint, or null when this transport has
    /// none (TLS origination, HTTP/2, unavailable credentials, or the fast path switched off).
    /// One pool per endpoint, as the handler keeps one per server, so max_connections means the same.
    /// </summary>
    internal Http1Pool? Http1PoolFor(string host, int port)
    {
        if (_http1Pools == null || UnavailableReason != null)
        {
            return null;
        }

        var key = UpstreamEndpoint.FormatAddress(host, port);
        return _http1Pools.GetOrAdd(key, static (_, s) => s.Transport.NewHttp1Pool(s.Host, s.Port), (Transport: this, Host: host, Port: port));
    }

    public void Dispose()
    {
        Invoker?.Dispose();
        if (_http1Pools != null)
        {
            foreach (var pool in _http1Pools.Values)
            {
                pool.Dispose();
            }
        }
    }

    private Http1Pool NewHttp1Pool(string host, int port) => new(
        ct => ConnectSocketAsync(new DnsEndPoint(host, port), ct),
        () => new ConnectionAccounting(_stats, _endpointState(host, port)),
        _time,
        _maxConnections,
        _connection,
        _idleTimeout);

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = await ConnectSocketAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
        var stream = new NetworkStream(socket, ownsSocket: true);
        var http2 = context.InitialRequestMessage.Version.Major >= 2;
        var accounting = new ConnectionAccounting(_stats, _endpointState(context.DnsEndPoint.Host, context.DnsEndPoint.Port));
        var limit = !http2 && _connection.MaxRequestsPerConnection > 0 ? new Http1RequestLimit(_connection.MaxRequestsPerConnection) : null;
        if (_tls == null)
        {
            return new UpstreamConnectionStream(stream, accounting, limit);
        }

        SslClientAuthenticationOptions options;
        try
        {
            options = SslOptions(_tls, context, http2);
        }
        catch
        {
            // Secrets not ready (no workload certificate yet): a connection failure, as Envoy's warming secrets.
            Interlocked.Increment(ref _stats.UpstreamCxConnectFail);
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var ssl = new UpstreamSslStream(stream, accounting, limit);
        try
        {
            await ssl.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
            return ssl;
        }
        catch
        {
            Interlocked.Increment(ref _stats.UpstreamCxConnectFail);
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// A tcp_proxy's upstream connection: the cluster's socket settings, then the transport's TLS when it
    /// originates one (Istio mTLS to an endpoint with a sidecar: the workload certificate, the SAN check,
    /// SNI and ALPN <c>istio-peer-exchange</c>, <c>istio</c>), so TCP between sidecars is mutual TLS as HTTP is.
    /// Failures count in upstream_cx_connect_fail.
    /// </summary>
    internal async ValueTask<Stream> ConnectTcpAsync(string host, int port, CancellationToken cancellationToken)
    {
        if (UnavailableReason != null)
        {
            Interlocked.Increment(ref _stats.UpstreamCxConnectFail);
            throw new IOException(UnavailableReason);
        }

        var socket = await ConnectSocketAsync(new DnsEndPoint(host, port), cancellationToken).ConfigureAwait(false);
        var stream = new NetworkStream(socket, ownsSocket: true);
        if (_tls == null)
        {
            return stream;
        }

        var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsClientAsync(SslOptions(_tls, host, http2: false), cancellationToken).ConfigureAwait(false);
            return ssl;
        }
        catch
        {
            Interlocked.Increment(ref _stats.UpstreamCxConnectFail);
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A connected TCP socket with the cluster's keepalive settings; failures count in upstream_cx_connect_fail (and _timeout).</summary>
    private async ValueTask<Socket> ConnectSocketAsync(DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (_connection.Keepalive is { } keepalive)
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            if (keepalive.KeepaliveTime is { } time)
            {
                socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, (int)time);
            }

            if (keepalive.KeepaliveInterval is { } interval)
            {
                socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, (int)interval);
            }

            if (keepalive.KeepaliveProbes is { } probes)
            {
                socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, (int)probes);
            }
        }

        try
        {
            var target = endpoint;
            if (_dnsFamily != AddressFamily.Unspecified && !IPAddress.TryParse(target.Host, out _))
            {
                target = new DnsEndPoint(target.Host, target.Port, _dnsFamily);
            }

            await socket.ConnectAsync(target, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch (Exception e)
        {
            socket.Dispose();
            Interlocked.Increment(ref _stats.UpstreamCxConnectFail);
            if (e is OperationCanceledException)
            {
                Interlocked.Increment(ref _stats.UpstreamCxConnectTimeout);
            }

            throw;
        }
    }

    /// <summary>
    /// The cluster's SNI, or without one the request's host (auto SNI; the handler keys https pools
    /// by Host, so one connection never serves two hosts); ALPN from the HTTP version the pool chose.
    /// </summary>
    private SslClientAuthenticationOptions SslOptions(TlsOrigination tls, SocketsHttpConnectionContext context, bool http2) =>
        SslOptions(tls, context.InitialRequestMessage.Headers.Host is { } host ? StripPort(host) : context.DnsEndPoint.Host, http2);

    private SslClientAuthenticationOptions SslOptions(TlsOrigination tls, string requestHost, bool http2)
    {
        // SDS secrets are read now, so a rotated certificate or bundle is used from the next connection on.
        SslStreamCertificateContext? workload = null;
        if (tls.ClientCertificateSecret != null)
        {
            workload = _secrets.Certificate?.Context
                ?? throw new HttpRequestException($"TLS credentials not ready: SDS secret \"{tls.ClientCertificateSecret}\" has not arrived (no workload certificate yet)");
        }

        var trustedCas = _trustedCas;
        if (tls.TrustedCaSecret != null)
        {
            trustedCas = _secrets.Roots?.Roots
                ?? throw new HttpRequestException($"TLS credentials not ready: SDS secret \"{tls.TrustedCaSecret}\" has not arrived (no trust bundle yet)");
        }

        return new SslClientAuthenticationOptions
        {
            TargetHost = tls.Sni ?? requestHost,
            EnabledSslProtocols = tls.Protocols,
            ClientCertificates = workload == null ? _clientCertificates : null,
            ClientCertificateContext = workload,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,

            // The context's own list when it has one (Istio mTLS: istio-peer-exchange, istio, and h2 for
            // HTTP/2 pools), which the server's filter chains match on; else the pool's HTTP version.
            ApplicationProtocols = tls.AlpnProtocols is { Count: > 0 } alpn ? [.. alpn] : http2 ? Http2Alpn : Http11Alpn,
            RemoteCertificateValidationCallback = (_, certificate, _, _) => UpstreamCertificateCheck.Accepts(tls, trustedCas, certificate, requestHost),
        };
    }

    private static string StripPort(string host)
    {
        if (host.StartsWith('['))
        {
            var end = host.IndexOf(']');
            return end > 0 ? host[1..end] : host;
        }

        var colon = host.LastIndexOf(':');
        return colon > 0 && host.IndexOf(':') == colon ? host[..colon] : host;
    }
}
