namespace Meshwork.Proxy.Authn;

/// <summary>
/// Why a token was not accepted, with the text Envoy's jwt_authn answers in the 401 body
/// (jwt_verify_lib's status strings), so clients and tests see what they would behind Envoy.
/// </summary>
internal enum JwtStatus
{
    Ok,
    Missing,
    BadFormat,
    HeaderBadBase64,
    HeaderBadJson,
    HeaderBadAlg,
    HeaderUnsupportedAlg,
    PayloadBadBase64,
    PayloadBadJson,
    SignatureBadBase64,
    Expired,
    NotYetValid,
    NoExpiration,
    LifetimeTooLong,
    UnknownIssuer,
    AudienceNotAllowed,
    SubjectNotAllowed,
    NoMatchingKey,
    VerificationFailed,
    JwksUnavailable,
}

internal static class JwtStatusText
{
    public static string Of(JwtStatus status) => status switch
    {
        JwtStatus.Ok => "OK",
        JwtStatus.Missing => "Jwt is missing",
        JwtStatus.BadFormat => "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections",
        JwtStatus.HeaderBadBase64 => "Jwt header is an invalid Base64url encoded",
        JwtStatus.HeaderBadJson => "Jwt header is an invalid JSON",
        JwtStatus.HeaderBadAlg => "Jwt header [alg] field is required and must be a string",
        JwtStatus.HeaderUnsupportedAlg => "Jwt header [alg] is not supported",
        JwtStatus.PayloadBadBase64 => "Jwt payload is an invalid Base64url encoded",
        JwtStatus.PayloadBadJson => "Jwt payload is an invalid JSON",
        JwtStatus.SignatureBadBase64 => "Jwt signature is an invalid Base64url encoded",
        JwtStatus.Expired => "Jwt is expired",
        JwtStatus.NotYetValid => "Jwt not yet valid",
        JwtStatus.NoExpiration => "Jwt doesn't have an expiration time",
        JwtStatus.LifetimeTooLong => "Jwt exceeds the max lifetime",
        JwtStatus.UnknownIssuer => "Jwt issuer is not configured",
        JwtStatus.AudienceNotAllowed => "Audiences in Jwt are not allowed",
        JwtStatus.SubjectNotAllowed => "Jwt subject is not allowed",
        JwtStatus.NoMatchingKey => "Jwks doesn't have key to match kid or alg from Jwt",
        JwtStatus.VerificationFailed => "Jwt verification fails",
        JwtStatus.JwksUnavailable => "Jwks remote fetch is failed",
        _ => status.ToString(),
    };
}
