using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Proxy.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Meshwork.Proxy.Connections;

/// <summary>
/// Terminates TLS on a Kestrel connection for a chain that asks for it: the handshake runs on an
/// SslStream over the raw transport (ClientHello bytes included, as the inspector left them
/// unconsumed), then the connection carries on over the decrypted pipe with the TLS features Kestrel
/// reads, so its HTTP layer chooses HTTP/2 or HTTP/1.1 by the negotiated ALPN as with UseHttps.
/// </summary>
public static class TlsTermination
{
    /// <summary>
    /// The handshake with the options of <paramref name="tls"/> for <paramref name="serverName"/>; a
    /// failed or refused one reports why (Envoy's ssl.connection_error, or secrets not ready).
    /// <paramref name="clientAlpn"/> is what the ClientHello offered, when the inspector read it;
    /// SDS secrets come from <paramref name="secrets"/> at this moment.
    /// </summary>
    public static Task<TlsHandshakeResult> AuthenticateAsync(IDuplexPipe transport, DownstreamTls tls, string? serverName, CancellationToken cancellationToken, SecretStore? secrets = null) =>
        AuthenticateAsync(transport, tls, serverName, [], cancellationToken, secrets);

    public static async Task<TlsHandshakeResult> AuthenticateAsync(IDuplexPipe transport, DownstreamTls tls, string? serverName, IReadOnlyList<string> clientAlpn, CancellationToken cancellationToken, SecretStore? secrets = null)
    {
        if (!tls.TryCreateOptions(serverName, secrets, out var options, out var refusal))
        {
            return new TlsHandshakeResult(null, refusal);
        }

        // BoringSSL (Envoy) negotiates no ALPN when the client offers nothing the server has; OpenSSL
        // under SslStream would abort with no_application_protocol instead. Istio clients of HTTP/1.1
        // and TCP services offer only "istio-peer-exchange" and "istio", so without this every such
        // mTLS connection would fail; with it they get HTTP/1.1 (or bytes), as from Envoy.
        if (clientAlpn.Count > 0 && options.ApplicationProtocols is { Count: > 0 } offered && !offered.Any(p => clientAlpn.Contains(p.ToString())))
        {
            options.ApplicationProtocols = null;
        }

        var ssl = new SslStream(new DuplexPipeStream(transport), leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsServerAsync(options, cancellationToken).ConfigureAwait(false);
            return new TlsHandshakeResult(new TerminatedTls(ssl), null);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException or InvalidOperationException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            return new TlsHandshakeResult(null, $"TLS handshake failed: {e.Message}");
        }
    }
}

/// <summary>A finished handshake, or the reason there is none (the caller closes the connection).</summary>
public sealed record TlsHandshakeResult(TerminatedTls? Connection, string? Failure);

/// <summary>
/// A connection after TLS termination: the SslStream (for tcp_proxy, which pumps plaintext), or a
/// duplex pipe plus Kestrel's TLS features (for HTTP). One object serves as all three features so
/// installing them costs nothing more per connection.
/// </summary>
public sealed class TerminatedTls : ITlsConnectionFeature, ITlsHandshakeFeature, ITlsApplicationProtocolFeature, ISslStreamFeature, IAsyncDisposable
{
    internal TerminatedTls(SslStream stream)
    {
        SslStream = stream;
        ClientCertificate = stream.RemoteCertificate as X509Certificate2;
        Peer = DownstreamPeer.From(stream.RemoteCertificate, stream.LocalCertificate);
    }

    public SslStream SslStream { get; }

    /// <summary>The verified client certificate's identity (mTLS), or null when the client sent none.</summary>
    public DownstreamPeer? Peer { get; }

    public X509Certificate2? ClientCertificate { get; set; }

    public SslProtocols Protocol => SslStream.SslProtocol;

    public TlsCipherSuite? NegotiatedCipherSuite => SslStream.NegotiatedCipherSuite;

    public string HostName => SslStream.TargetHostName;

    public ReadOnlyMemory<byte> ApplicationProtocol => SslStream.NegotiatedApplicationProtocol.Protocol;

#pragma warning disable SYSLIB0058 // Kestrel's interface still declares the legacy algorithm properties.
    public CipherAlgorithmType CipherAlgorithm => SslStream.CipherAlgorithm;

    public int CipherStrength => SslStream.CipherStrength;

    public HashAlgorithmType HashAlgorithm => SslStream.HashAlgorithm;

    public int HashStrength => SslStream.HashStrength;

    public ExchangeAlgorithmType KeyExchangeAlgorithm => SslStream.KeyExchangeAlgorithm;

    public int KeyExchangeStrength => SslStream.KeyExchangeStrength;
#pragma warning restore SYSLIB0058

    public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult(ClientCertificate);

    /// <summary>
    /// Runs the rest of Kestrel's pipeline (<paramref name="next"/>, its HTTP layer) over the
    /// decrypted stream, then restores the original transport, as Kestrel's own HTTPS middleware does.
    /// </summary>
    public async Task ServeAsync(ConnectionContext context, ConnectionDelegate next)
    {
        var original = context.Transport;
        var decrypted = new StreamDuplexPipe(SslStream);
        context.Transport = decrypted;
        context.Features.Set<ITlsConnectionFeature>(this);
        context.Features.Set<ITlsHandshakeFeature>(this);
        context.Features.Set<ITlsApplicationProtocolFeature>(this);
        context.Features.Set<ISslStreamFeature>(this);
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            await decrypted.DisposeAsync().ConfigureAwait(false);
            await DisposeAsync().ConfigureAwait(false);
            context.Transport = original;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await SslStream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The peer already went away.
        }
    }

    /// <summary>An authenticated SslStream as the duplex pipe Kestrel's HTTP layer reads and writes.</summary>
    private sealed class StreamDuplexPipe(Stream stream) : IDuplexPipe, IAsyncDisposable
    {
        public PipeReader Input { get; } = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));

        public PipeWriter Output { get; } = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));

        public async ValueTask DisposeAsync()
        {
            await Input.CompleteAsync().ConfigureAwait(false);
            await Output.CompleteAsync().ConfigureAwait(false);
        }
    }
}
