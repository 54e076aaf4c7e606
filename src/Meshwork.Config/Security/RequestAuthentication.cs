using Meshwork.Config.Binding;
using Meshwork.Config.Types;
using Meshwork.Config.Values;

namespace Meshwork.Config.Security;

/// <summary>istio.security.v1beta1.RequestAuthentication: the JWTs a workload accepts.</summary>
public sealed record RequestAuthentication
{
    public WorkloadSelector? Selector { get; init; }

    public PolicyTargetReference? TargetRef { get; init; }

    public ValueList<PolicyTargetReference> TargetRefs { get; init; }

    public ValueList<JwtRule> JwtRules { get; init; }
}

/// <summary>istio.security.v1beta1.JWTRule: how to find, verify and forward one issuer's tokens.</summary>
public sealed record JwtRule
{
    public string Issuer { get; init; } = string.Empty;

    public ValueList<string> Audiences { get; init; }

    public string JwksUri { get; init; } = string.Empty;

    /// <summary>An inline JSON Web Key Set; when set, <see cref="JwksUri"/> is ignored.</summary>
    public string Jwks { get; init; } = string.Empty;

    public ValueList<JwtHeader> FromHeaders { get; init; }

    public ValueList<string> FromParams { get; init; }

    public string OutputPayloadToHeader { get; init; } = string.Empty;

    public bool ForwardOriginalToken { get; init; }

    public ValueList<ClaimToHeader> OutputClaimToHeaders { get; init; }

    public ValueList<string> FromCookies { get; init; }

    /// <summary>How long to wait for the JWKS fetch.</summary>
    [Duration]
    public TimeSpan? Timeout { get; init; }

    public ValueList<string> SpaceDelimitedClaims { get; init; }
}

/// <summary>istio.security.v1beta1.JWTHeader: a header that carries the token, with an optional prefix to strip.</summary>
public sealed record JwtHeader
{
    public string Name { get; init; } = string.Empty;

    public string Prefix { get; init; } = string.Empty;
}

/// <summary>istio.security.v1beta1.ClaimToHeader: copy a verified claim into a request header.</summary>
public sealed record ClaimToHeader
{
    public string Header { get; init; } = string.Empty;

    public string Claim { get; init; } = string.Empty;
}
