using System.Text.RegularExpressions;
using Meshwork.Config.Security;

namespace Meshwork.Config.Validation.Security;

/// <summary>Who issued the token and for whom (Istio's validateJwtRule: issuer, audiences).</summary>
public sealed class JwtIssuerRule : SpecRule<RequestAuthentication>
{
    protected override void Check(RequestAuthentication spec, RuleContext context)
    {
        for (var i = 0; i < spec.JwtRules.Count; i++)
        {
            var rule = spec.JwtRules[i];
            var path = $"spec.jwtRules[{i}]";
            if (rule.Issuer.Length == 0 && rule.JwksUri.Length == 0)
            {
                context.Error(path, "issuer or jwksUri must be set");
            }

            for (var k = 0; k < rule.Audiences.Count; k++)
            {
                if (rule.Audiences[k].Length == 0)
                {
                    context.Error($"{path}.audiences[{k}]", "audience must not be empty");
                }
            }
        }
    }
}

/// <summary>Where the verification keys come from: a JWKS URL, an inline JWKS, and the fetch timeout.</summary>
public sealed class JwksSourceRule : SpecRule<RequestAuthentication>
{
    protected override void Check(RequestAuthentication spec, RuleContext context)
    {
        for (var i = 0; i < spec.JwtRules.Count; i++)
        {
            var rule = spec.JwtRules[i];
            var path = $"spec.jwtRules[{i}]";
            if (rule.JwksUri.Length > 0 && JwksUri.Error(rule.JwksUri) is { } uriError)
            {
                context.Error($"{path}.jwksUri", uriError);
            }

            if (rule.Jwks.Length > 0 && JwksDocument.Error(rule.Jwks) is { } jwksError)
            {
                context.Error($"{path}.jwks", $"jwks parse error: {jwksError}");
            }

            if (rule.Jwks.Length > 0 && rule.JwksUri.Length > 0)
            {
                context.Warning($"{path}.jwksUri", "ignored because jwks is set; use only one of them");
            }

            if (rule.Timeout is { } timeout && Checks.Duration(timeout) is { } timeoutError)
            {
                context.Error($"{path}.timeout", timeoutError);
            }
        }
    }
}

/// <summary>Where the token is read from: headers, query parameters, cookies (each name must be non-empty).</summary>
public sealed class JwtTokenLocationRule : SpecRule<RequestAuthentication>
{
    protected override void Check(RequestAuthentication spec, RuleContext context)
    {
        for (var i = 0; i < spec.JwtRules.Count; i++)
        {
            var rule = spec.JwtRules[i];
            var path = $"spec.jwtRules[{i}]";
            for (var k = 0; k < rule.FromHeaders.Count; k++)
            {
                if (rule.FromHeaders[k].Name.Length == 0)
                {
                    context.Error($"{path}.fromHeaders[{k}].name", "location header name must not be empty");
                }
            }

            for (var k = 0; k < rule.FromParams.Count; k++)
            {
                if (rule.FromParams[k].Length == 0)
                {
                    context.Error($"{path}.fromParams[{k}]", "location query parameter must not be empty");
                }
            }

            for (var k = 0; k < rule.FromCookies.Count; k++)
            {
                if (rule.FromCookies[k].Length == 0)
                {
                    context.Error($"{path}.fromCookies[{k}]", "cookie name must not be empty");
                }
            }
        }
    }
}

/// <summary>
/// What is passed on after verification: claims copied into headers (Istio's strict header-name
/// check) and claims split on spaces (the CRD requires non-empty names).
/// </summary>
public sealed partial class JwtClaimOutputRule : SpecRule<RequestAuthentication>
{
    protected override void Check(RequestAuthentication spec, RuleContext context)
    {
        for (var i = 0; i < spec.JwtRules.Count; i++)
        {
            var rule = spec.JwtRules[i];
            var path = $"spec.jwtRules[{i}]";
            for (var k = 0; k < rule.OutputClaimToHeaders.Count; k++)
            {
                var output = rule.OutputClaimToHeaders[k];
                var item = $"{path}.outputClaimToHeaders[{k}]";
                if (output.Claim.Length == 0 || output.Header.Length == 0)
                {
                    context.Error(output.Claim.Length == 0 ? $"{item}.claim" : $"{item}.header", "claim and header must both be non-empty");
                    continue;
                }

                if (!StrictHeaderName().IsMatch(output.Header))
                {
                    context.Error($"{item}.header", $"header name {output.Header} is not a valid header name (letters, digits and '-' only)");
                }
            }

            for (var k = 0; k < rule.SpaceDelimitedClaims.Count; k++)
            {
                if (rule.SpaceDelimitedClaims[k].Length == 0)
                {
                    context.Error($"{path}.spaceDelimitedClaims[{k}]", "claim name must not be empty");
                }
            }
        }
    }

    [GeneratedRegex("^[-A-Za-z0-9]+\\z")]
    private static partial Regex StrictHeaderName();
}
