using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Meshwork.Proxy.Tests.Upstream;

/// <summary>
/// A tiny HTTP/1.1 server on loopback for connection-level tests: counts connections, answers
/// every request "200 ok", honours <c>Connection: close</c>, and can speak TLS (recording the SNI
/// and client certificate it saw).
/// </summary>
internal sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly X509Certificate2? _certificate;
    private readonly bool _requireClientCertificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _connections;

    public LoopbackHttpServer(X509Certificate2? certificate = null, bool requireClientCertificate = false)
    {
        _certificate = certificate;
        _requireClientCertificate = requireClientCertificate;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Connections => Volatile.Read(ref _connections);

    public ConcurrentQueue<string> SniSeen { get; } = new();

    public ConcurrentQueue<string> ClientCertificatesSeen { get; } = new();

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            Interlocked.Increment(ref _connections);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                Stream stream = client.GetStream();
                if (_certificate != null)
                {
                    var ssl = new SslStream(stream);
                    await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                    {
                        ServerCertificate = _certificate,
                        ClientCertificateRequired = _requireClientCertificate,
                        RemoteCertificateValidationCallback = (_, certificate, _, _) => !_requireClientCertificate || certificate != null,
                    });
                    SniSeen.Enqueue(ssl.TargetHostName);
                    if (ssl.RemoteCertificate is { } remote)
                    {
                        ClientCertificatesSeen.Enqueue(remote.Subject);
                    }

                    stream = ssl;
                }

                while (await ReadHeadAsync(stream) is { } head)
                {
                    var close = head.Contains("\r\nConnection: close", StringComparison.OrdinalIgnoreCase);
                    var response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + (close ? "Connection: close\r\n" : string.Empty) + "\r\nok";
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(response));
                    await stream.FlushAsync();
                    if (close)
                    {
                        break;
                    }
                }
            }
            catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
            {
            }
        }
    }

    private static async Task<string?> ReadHeadAsync(Stream stream)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one) == 0)
            {
                return null;
            }

            head.Append((char)one[0]);
        }

        return head.ToString();
    }

    /// <summary>A CA and certificates it signs, with SANs, for TLS tests.</summary>
    public static (X509Certificate2 Ca, Func<string, string[], X509Certificate2> Issue) CertificateAuthority()
    {
        var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Meshwork Test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var serial = 1;
        return (ca, (subject, sans) =>
        {
            var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
            var names = new SubjectAlternativeNameBuilder();
            foreach (var san in sans)
            {
                if (san.Contains("://", StringComparison.Ordinal))
                {
                    names.AddUri(new Uri(san));
                }
                else if (IPAddress.TryParse(san, out var ip))
                {
                    names.AddIpAddress(ip);
                }
                else
                {
                    names.AddDnsName(san);
                }
            }

            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
            var signed = request.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(12), BitConverter.GetBytes(++serial));
            var withKey = signed.CopyWithPrivateKey(key);

            // SslStream on Linux wants a key it can export: round-trip through PKCS#12.
            return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pfx), null);
        });
    }
}
