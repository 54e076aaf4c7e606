using System.Net;

namespace Meshwork.Proxy.Connections;

/// <summary>
/// What Envoy knows about a connection when it picks a filter chain: the two endpoints, and what
/// the TLS inspector found (transport protocol <c>tls</c> or <c>raw_buffer</c>, SNI, ALPN). A
/// value built once per accepted connection; the selector only reads it.
/// </summary>
public readonly record struct ConnectionFacts(
    IPEndPoint Destination,
    IPEndPoint Source,
    string TransportProtocol,
    string? ServerName,
    IReadOnlyList<string> ApplicationProtocols)
{
    public const string Tls = "tls";
    public const string RawBuffer = "raw_buffer";

    /// <summary>A connection no inspector looked at: raw_buffer, as Envoy marks it when no listener filter set a protocol.</summary>
    public static ConnectionFacts Plain(IPEndPoint destination, IPEndPoint source) => new(destination, source, RawBuffer, null, []);

    /// <summary>The facts after TLS inspection: tls with SNI and ALPN for a ClientHello, raw_buffer otherwise.</summary>
    public static ConnectionFacts Inspected(IPEndPoint destination, IPEndPoint source, in ClientHello hello) =>
        hello.Status == ClientHelloStatus.Tls
            ? new(destination, source, Tls, hello.ServerName, hello.ApplicationProtocols)
            : Plain(destination, source);
}
