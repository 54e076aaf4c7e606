using System.Text.Json;

namespace Meshwork.Proxy.Authn;

/// <summary>
/// The request's authenticated origin after jwt_authn, as Istio's authn filter hands it to policy:
/// <c>request.auth.principal</c> is the first verified token's <c>iss/sub</c>, with its audiences,
/// presenter (<c>azp</c>) and claims. A request without a verified token has no origin (no feature).
/// </summary>
internal sealed class RequestOrigin(IReadOnlyList<JwtToken> verified)
{
    public IReadOnlyList<JwtToken> Tokens { get; } = verified;

    public string Principal { get; } = $"{verified[0].Issuer}/{verified[0].Subject}";

    public IReadOnlyList<string> Audiences => Tokens[0].Audiences;

    public string Presenter => Tokens[0].Presenter;

    public JsonElement Claims => Tokens[0].Payload;
}
