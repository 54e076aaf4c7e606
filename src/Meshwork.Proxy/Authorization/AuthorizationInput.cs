using System.Net;
using System.Text.Json;

namespace Meshwork.Proxy.Authorization;

/// <summary>
/// What a validated JWT says about the request (Istio's <c>istio_authn</c> dynamic metadata):
/// <c>request.auth.principal</c> (<c>iss/sub</c>), audiences, presenter (<c>azp</c>) and the claims.
/// </summary>
public sealed record RequestIdentity(string Principal, IReadOnlyList<string> Audiences, string? Presenter, JsonElement Claims);

/// <summary>
/// Everything an RBAC filter may ask about a connection or request, gathered once per evaluation:
/// the direct peer and the client it speaks for (<c>x-forwarded-for</c> when the manager trusts it),
/// the local address and port, the TLS SNI, the request (headers, method, authority) with its
/// normalized path, the peer's verified identity (its certificate's SPIFFE URI SAN) and the JWT
/// identity. A network filter has no request. Immutable, passed by reference.
/// </summary>
public readonly record struct AuthorizationInput(
    IPAddress DirectRemoteIp,
    IPAddress RemoteIp,
    IPAddress DestinationIp,
    int DestinationPort,
    string? ServerName,
    HttpRequest? Request,
    string? Path,
    string? PeerPrincipal,
    RequestIdentity? RequestIdentity)
{
    /// <summary>A TCP connection's input: no request, no JWT.</summary>
    public static AuthorizationInput ForConnection(IPEndPoint source, IPEndPoint destination, string? serverName, string? peerPrincipal) =>
        new(source.Address, source.Address, destination.Address, destination.Port, serverName, null, null, peerPrincipal, null);
}
