using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>
/// An app for the edge tests on a free loopback port: <c>/ws</c> echoes WebSocket messages; gRPC
/// methods of a hand-framed service <c>edge.Echo</c> (messages are raw UTF-8: Unary answers
/// "hello X", Stream answers X frames, Slow waits 30 s, Fail ends NOT_FOUND); anything else
/// answers "NAME PROTOCOL METHOD PATH" with the request's headers as x-seen-* response headers.
/// </summary>
public sealed class EdgeApp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private EdgeApp(WebApplication app, string name)
    {
        _app = app;
        Name = name;
    }

    public string Name { get; }

    public int Port { get; private set; }

    public int Requests => Volatile.Read(ref _requests);

    public string? LastProtocol { get; private set; }

    public static async Task<EdgeApp> StartAsync(string name, HttpProtocols protocols, X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
        {
            l.Protocols = protocols;
            if (certificate != null)
            {
                l.UseHttps(certificate);
            }
        }));
        var app = builder.Build();
        var edge = new EdgeApp(app, name);
        app.UseWebSockets();
        app.Run(edge.HandleAsync);
        await app.StartAsync();
        edge.Port = new Uri(app.Urls.First()).Port;
        return edge;
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        LastProtocol = context.Request.Protocol;
        if (context.WebSockets.IsWebSocketRequest)
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[4096];
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, context.RequestAborted);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", context.RequestAborted);
                    return;
                }

                var echo = Encoding.UTF8.GetBytes($"{Name}: " + Encoding.UTF8.GetString(buffer, 0, received.Count));
                await socket.SendAsync(echo, received.MessageType, received.EndOfMessage, context.RequestAborted);
            }
        }

        if (context.Request.Path.StartsWithSegments("/edge.Echo", out var method))
        {
            await GrpcAsync(context, method.Value!.TrimStart('/'));
            return;
        }

        foreach (var header in context.Request.Headers)
        {
            context.Response.Headers["x-seen-" + header.Key.ToLowerInvariant()] = header.Value;
        }

        context.Response.ContentType = "text/plain";
        await context.Response.WriteAsync($"{Name} {context.Request.Protocol} {context.Request.Method} {context.Request.Path}");
    }

    private async Task GrpcAsync(HttpContext context, string method)
    {
        var message = await ReadMessageAsync(context.Request.Body, context.RequestAborted);
        var response = context.Response;
        response.ContentType = "application/grpc";
        await response.StartAsync(context.RequestAborted);
        var status = "0";
        switch (method)
        {
            case "Unary":
                await WriteMessageAsync(response.Body, $"hello {message} from {Name}", context.RequestAborted);
                break;
            case "Stream":
                for (var i = 1; i <= int.Parse(message, System.Globalization.CultureInfo.InvariantCulture); i++)
                {
                    await WriteMessageAsync(response.Body, $"item {i}", context.RequestAborted);
                    await response.Body.FlushAsync(context.RequestAborted);
                }

                break;
            case "Slow":
                await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
                await WriteMessageAsync(response.Body, "late", context.RequestAborted);
                break;
            default:
                status = "5";
                response.AppendTrailer("grpc-message", "no such thing");
                break;
        }

        response.AppendTrailer("grpc-status", status);
        response.AppendTrailer("x-edge-trailer", "kept");
    }

    private static async Task<string> ReadMessageAsync(Stream body, CancellationToken cancellationToken)
    {
        var header = new byte[5];
        await body.ReadExactlyAsync(header, cancellationToken);
        var payload = new byte[BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1))];
        await body.ReadExactlyAsync(payload, cancellationToken);
        return Encoding.UTF8.GetString(payload);
    }

    private static async Task WriteMessageAsync(Stream body, string message, CancellationToken cancellationToken)
    {
        var payload = Encoding.UTF8.GetBytes(message);
        var frame = new byte[5 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), payload.Length);
        payload.CopyTo(frame, 5);
        await body.WriteAsync(frame, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A TCP echo server on a free loopback port: echoes every byte, and when the peer half-closes, writes "[eof]" and closes its side.</summary>
public sealed class TcpEchoServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _connections;

    private TcpEchoServer(TcpListener listener)
    {
        _listener = listener;
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Connections => Volatile.Read(ref _connections);

    public static TcpEchoServer Start()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return new TcpEchoServer(listener);
    }

    /// <summary>
    /// A client's exchange with an echo behind a proxy: connects to <paramref name="target"/> (from
    /// <paramref name="from"/> when given), sends <paramref name="payload"/>, half-closes, and reads until
    /// the other side closes; a refused or reset connection reads as what arrived before it.
    /// </summary>
    public static async Task<byte[]> ExchangeAsync(IPEndPoint target, byte[] payload, IPAddress? from = null)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var received = new MemoryStream();
        try
        {
            if (from != null)
            {
                socket.Bind(new IPEndPoint(from, 0));
            }

            await socket.ConnectAsync(target, timeout.Token);
            await socket.SendAsync(payload, SocketFlags.None, timeout.Token);
            socket.Shutdown(SocketShutdown.Send);
            var buffer = new byte[256];
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (SocketException)
        {
            // A refusal or reset is a close too.
        }

        return received.ToArray();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _connections);
            _ = EchoAsync(socket);
        }
    }

    private async Task EchoAsync(Socket socket)
    {
        using (socket)
        {
            var buffer = new byte[4096];
            try
            {
                while (true)
                {
                    var read = await socket.ReceiveAsync(buffer, _stop.Token);
                    if (read == 0)
                    {
                        await socket.SendAsync("[eof]"u8.ToArray(), _stop.Token);
                        socket.Shutdown(SocketShutdown.Send);
                        return;
                    }

                    await socket.SendAsync(buffer.AsMemory(0, read), _stop.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}

/// <summary>A self-signed server certificate for the given DNS names, and its PEM files in a temp directory.</summary>
public sealed class TestCertificate : IDisposable
{
    private TestCertificate(X509Certificate2 certificate, string directory)
    {
        Certificate = certificate;
        Directory = directory;
    }

    public X509Certificate2 Certificate { get; }

    public string Directory { get; }

    public string CertificateFile => Path.Combine(Directory, "cert.pem");

    public string KeyFile => Path.Combine(Directory, "key.pem");

    public static TestCertificate Create(params string[] dnsNames)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={dnsNames[0]}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames)
        {
            names.AddDnsName(name);
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var directory = System.IO.Directory.CreateTempSubdirectory("mesh-e2e-cert-").FullName;
        File.WriteAllText(Path.Combine(directory, "cert.pem"), created.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "key.pem"), key.ExportPkcs8PrivateKeyPem());
        // Through PKCS#12 so the key is usable by SslStream on every platform.
        var certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
        return new TestCertificate(certificate, directory);
    }

    public void Dispose()
    {
        Certificate.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
