using Grpc.Core;
using Istio.V1.Auth;
using Meshwork.Citadel;
using Meshwork.Citadel.Authentication;
using Meshwork.Citadel.Signing;
using Meshwork.Config.Mesh;

namespace Meshwork.Meshd.Security;

/// <summary>
/// Istio's CreateCertificate on the secure address. The caller proves an identity first, with a
/// client certificate from this mesh (renewal) or a bootstrap token in <c>authorization: Bearer</c>;
/// only then is its CSR checked against that identity and signed.
/// </summary>
internal sealed partial class CertificateService(CertificateAuthority ca, MeshConfig mesh, TimeProvider clock, ILogger<CertificateService> logger)
    : IstioCertificateService.IstioCertificateServiceBase
{
    private readonly string _trustDomain = mesh.EffectiveTrustDomain;

    public override async Task<IstioCertificateResponse> CreateCertificate(IstioCertificateRequest request, ServerCallContext context)
    {
        CitadelMetrics.CsrCount.Inc();
        var now = clock.GetUtcNow();
        var identity = await AuthenticateAsync(context, now).ConfigureAwait(false);
        var outcome = CertificateSigner.Sign(ca, request.Csr, identity, _trustDomain, request.ValidityDuration, now);
        if (outcome.Failure != SigningFailure.None)
        {
            (outcome.Failure == SigningFailure.NotYourIdentity ? CitadelMetrics.IdExtractionErrors : CitadelMetrics.CsrParsingErrors).Inc();
            Log.Refused(logger, identity.ToString(), outcome.Reason!);
            throw new RpcException(new Status(outcome.Failure == SigningFailure.NotYourIdentity ? StatusCode.PermissionDenied : StatusCode.InvalidArgument, outcome.Reason!));
        }

        CitadelMetrics.Issued.Inc();
        Log.Issued(logger, identity.ToString(), outcome.Chain[0].NotAfter.ToUniversalTime());
        var response = new IstioCertificateResponse();
        response.CertChain.AddRange(outcome.Chain.Select(c => c.ExportCertificatePem() + "\n"));
        return response;
    }

    private async Task<WorkloadIdentity> AuthenticateAsync(ServerCallContext context, DateTimeOffset now)
    {
        var reasons = new List<string>();
        if (context.GetHttpContext().Connection.ClientCertificate is { } certificate)
        {
            var (identity, reason) = MeshCertificateAuthenticator.Authenticate(ca, certificate, _trustDomain, now);
            if (identity != null)
            {
                return identity;
            }

            reasons.Add(reason!);
        }

        var authorization = context.RequestHeaders.GetValue("authorization");
        if (authorization != null)
        {
            if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                var (identity, reason) = await BootstrapToken.VerifyAsync(ca, authorization["Bearer ".Length..].Trim(), _trustDomain, now).ConfigureAwait(false);
                if (identity != null)
                {
                    return identity;
                }

                reasons.Add(reason!);
            }
            else
            {
                reasons.Add("authorization header is not 'Bearer <token>'");
            }
        }

        if (reasons.Count == 0)
        {
            reasons.Add("no client certificate and no authorization: Bearer token");
        }

        var message = string.Join("; ", reasons);
        CitadelMetrics.AuthenticationFailures.Inc();
        Log.Unauthenticated(logger, context.Peer, message);
        throw new RpcException(new Status(StatusCode.Unauthenticated, message));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 60, Level = LogLevel.Information, Message = "certificate issued for {Identity}, valid until {NotAfter:O}")]
        public static partial void Issued(ILogger logger, string identity, DateTime notAfter);

        [LoggerMessage(EventId = 61, Level = LogLevel.Warning, Message = "certificate refused for {Identity}: {Reason}")]
        public static partial void Refused(ILogger logger, string identity, string reason);

        [LoggerMessage(EventId = 62, Level = LogLevel.Warning, Message = "CreateCertificate from {Peer} unauthenticated: {Reason}")]
        public static partial void Unauthenticated(ILogger logger, string peer, string reason);
    }
}
