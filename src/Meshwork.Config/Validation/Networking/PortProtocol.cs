namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// A port protocol as Istio parses it (pkg/config/protocol): one of a fixed list of names, matched
/// without regard to case; anything else is <see cref="Unsupported"/>. Gateway and ServiceEntry ports
/// share it.
/// </summary>
public enum PortProtocol
{
    Unsupported,
    Tcp,
    Udp,
    Grpc,
    GrpcWeb,
    Http,
    HttpProxy,
    Http2,
    Https,
    Tls,
    Mongo,
    Redis,
    MySql,
}

public static class PortProtocols
{
    public const string Supported = "HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, HTTP_PROXY, TCP, TLS, UDP, MONGO, MYSQL, REDIS";

    public static PortProtocol Parse(string name) => name.ToLowerInvariant() switch
    {
        "tcp" => PortProtocol.Tcp,
        "udp" => PortProtocol.Udp,
        "grpc" => PortProtocol.Grpc,
        "grpc-web" => PortProtocol.GrpcWeb,
        "http" => PortProtocol.Http,
        "http_proxy" => PortProtocol.HttpProxy,
        "http2" => PortProtocol.Http2,
        "https" => PortProtocol.Https,
        "tls" => PortProtocol.Tls,
        "mongo" => PortProtocol.Mongo,
        "redis" => PortProtocol.Redis,
        "mysql" => PortProtocol.MySql,
        _ => PortProtocol.Unsupported,
    };

    /// <summary>Carried over HTTP (1.1 or 2), including gRPC.</summary>
    public static bool IsHttp(this PortProtocol protocol) =>
        protocol is PortProtocol.Http or PortProtocol.Http2 or PortProtocol.HttpProxy or PortProtocol.Grpc or PortProtocol.GrpcWeb;

    /// <summary>Carried over TLS: HTTPS, or TLS routed by SNI.</summary>
    public static bool IsTls(this PortProtocol protocol) => protocol is PortProtocol.Https or PortProtocol.Tls;

    /// <summary>Opaque to the proxy's HTTP layer but carried over TCP.</summary>
    public static bool IsTcp(this PortProtocol protocol) =>
        protocol is PortProtocol.Tcp or PortProtocol.Https or PortProtocol.Tls or PortProtocol.Mongo or PortProtocol.Redis or PortProtocol.MySql;
}
