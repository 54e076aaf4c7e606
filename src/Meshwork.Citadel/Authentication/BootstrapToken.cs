using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Meshwork.Citadel.Authentication;

/// <summary>
/// The bootstrap token a workload shows before it has a certificate: a JWT signed with the CA's own
/// key (ES256 or RS256, after the key), audience <c>istio-ca</c>, subject the service account as a
/// Kubernetes token names it. Verified with the CA's public key only, so only whoever holds
/// <c>ca-key.pem</c> can mint one.
/// </summary>
public static class BootstrapToken
{
    public const string Audience = "istio-ca";

    /// <summary>How far apart the minting and verifying clocks may be.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan DefaultTtl = TimeSpan.FromHours(1);

    /// <summary>The issuer names the trust domain whose CA signed the token.</summary>
    public static string Issuer(string trustDomain) => $"spiffe://{trustDomain}";

    public static string Create(CertificateAuthority ca, WorkloadIdentity identity, string trustDomain, TimeSpan ttl, DateTimeOffset now)
    {
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = Issuer(trustDomain),
            Audience = Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + ttl).UtcDateTime,
            Claims = new Dictionary<string, object>
            {
                ["sub"] = identity.Subject,
                ["kubernetes.io"] = new Dictionary<string, object>
                {
                    ["namespace"] = identity.Namespace,
                    ["serviceaccount"] = new Dictionary<string, object> { ["name"] = identity.ServiceAccount },
                },
            },
            SigningCredentials = ca.Key switch
            {
                ECDsa ecdsa => new SigningCredentials(new ECDsaSecurityKey(ecdsa), SecurityAlgorithms.EcdsaSha256),
                RSA rsa => new SigningCredentials(new RsaSecurityKey(rsa), SecurityAlgorithms.RsaSha256),
                _ => throw new InvalidOperationException("unsupported CA key type"),
            },
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>
    /// Verifies signature (with the CA's public key and the one algorithm it implies), issuer, audience
    /// and lifetime against <paramref name="now"/>; returns the identity, or null and the reason.
    /// </summary>
    public static async Task<(WorkloadIdentity? Identity, string? Reason)> VerifyAsync(CertificateAuthority ca, string token, string trustDomain, DateTimeOffset now)
    {
        var certificate = ca.SigningCertificate;
        var (key, algorithm) = certificate.GetECDsaPublicKey() is { } ecdsa
            ? ((SecurityKey)new ECDsaSecurityKey(ecdsa), SecurityAlgorithms.EcdsaSha256)
            : (new RsaSecurityKey(certificate.GetRSAPublicKey()!), SecurityAlgorithms.RsaSha256);
        var parameters = new TokenValidationParameters
        {
            IssuerSigningKey = key,
            ValidAlgorithms = [algorithm],
            ValidIssuer = Issuer(trustDomain),
            ValidAudience = Audience,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            // Lifetime is checked below against the injected clock, not the library's.
            ValidateLifetime = false,
            TryAllIssuerSigningKeys = true,
        };
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, parameters).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return (null, "bootstrap token refused: " + Describe(result.Exception));
        }

        var jwt = (JsonWebToken)result.SecurityToken;
        if (!jwt.TryGetPayloadValue<long>("exp", out _))
        {
            return (null, "bootstrap token refused: it has no exp");
        }

        if (jwt.ValidTo + ClockSkew < now.UtcDateTime)
        {
            return (null, $"bootstrap token refused: expired at {jwt.ValidTo:O}");
        }

        if (jwt.TryGetPayloadValue<long>("nbf", out _) && jwt.ValidFrom - ClockSkew > now.UtcDateTime)
        {
            return (null, $"bootstrap token refused: not valid before {jwt.ValidFrom:O}");
        }

        var subject = jwt.Subject;
        return WorkloadIdentity.FromSubject(subject) is { } identity
            ? (identity, null)
            : (null, $"bootstrap token refused: sub '{subject}' is not system:serviceaccount:NAMESPACE:NAME");
    }

    private static string Describe(Exception? exception) => exception switch
    {
        SecurityTokenInvalidAudienceException => $"audience is not {Audience}",
        SecurityTokenInvalidIssuerException => "issuer is not this trust domain's CA",
        SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => "signature does not verify with this CA's key",
        SecurityTokenInvalidAlgorithmException => "signing algorithm is not the CA key's",
        SecurityTokenMalformedException => "not a JWT",
        null => "invalid",
        _ => exception.GetType().Name.Replace("SecurityToken", string.Empty, StringComparison.Ordinal),
    };
}
