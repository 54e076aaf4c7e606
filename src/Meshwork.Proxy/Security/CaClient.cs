using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Istio.V1.Auth;

namespace Meshwork.Proxy.Security;

/// <summary>Who signs the agent's CSRs: meshd's CreateCertificate in production, an in-process CA in tests.</summary>
public interface ICertificateSigner
{
    /// <summary>The chain for <paramref name="csrPem"/>, leaf first; <paramref name="current"/> is presented for renewal when given. Throws with the reason on refusal.</summary>
    Task<IReadOnlyList<X509Certificate2>> SignAsync(string csrPem, TimeSpan ttl, X509Certificate2? current, CancellationToken cancellationToken);
}

/// <summary>
/// CreateCertificate over TLS to meshd's secure address, trusting only the mesh root. A renewal
/// presents the current certificate as client certificate; when that is refused or there is none,
/// the bootstrap token (read afresh from its file) goes in <c>authorization: Bearer</c>.
/// </summary>
public sealed class CaClient(AgentOptions options) : ICertificateSigner
{
    private readonly X509Certificate2Collection _roots = LoadRoots(options.RootCertFile);

    public static X509Certificate2Collection LoadRoots(string file)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(file);
        if (roots.Count == 0)
        {
            throw new InvalidOperationException($"--ca-root-cert {file}: no PEM certificate in it");
        }

        return roots;
    }

    public async Task<IReadOnlyList<X509Certificate2>> SignAsync(string csrPem, TimeSpan ttl, X509Certificate2? current, CancellationToken cancellationToken)
    {
        var request = new IstioCertificateRequest { Csr = csrPem, ValidityDuration = (long)ttl.TotalSeconds };
        string? renewalFailure = null;
        if (current != null)
        {
            try
            {
                return await CallAsync(request, current, null, cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unauthenticated or StatusCode.PermissionDenied && options.TokenFile != null)
            {
                renewalFailure = $"renewal with the current certificate refused ({e.Status.Detail}); ";
            }
        }

        if (options.TokenFile == null)
        {
            throw new InvalidOperationException("no --token-file to authenticate with and no current certificate");
        }

        string token;
        try
        {
            token = (await File.ReadAllTextAsync(options.TokenFile, cancellationToken).ConfigureAwait(false)).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{renewalFailure}--token-file {options.TokenFile}: {e.Message}", e);
        }

        try
        {
            return await CallAsync(request, null, token, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (renewalFailure != null)
        {
            throw new InvalidOperationException($"{renewalFailure}with the token: {e.StatusCode}: {e.Status.Detail}", e);
        }
    }

    private async Task<IReadOnlyList<X509Certificate2>> CallAsync(IstioCertificateRequest request, X509Certificate2? clientCertificate, string? token, CancellationToken cancellationToken)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = clientCertificate != null ? [clientCertificate] : null,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = (_, certificate, _, _) => VerifiesToRoot(certificate),
            },
        };
        using var channel = GrpcChannel.ForAddress($"https://{options.CaAddress}", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        var client = new IstioCertificateService.IstioCertificateServiceClient(channel);
        var headers = new Metadata();
        if (token != null)
        {
            headers.Add("authorization", "Bearer " + token);
        }

        var response = await client.CreateCertificateAsync(request, headers, DateTime.UtcNow.AddSeconds(30), cancellationToken).ConfigureAwait(false);
        if (response.CertChain.Count == 0)
        {
            throw new InvalidOperationException("CreateCertificate returned an empty chain");
        }

        return response.CertChain.Select(pem => X509Certificate2.CreateFromPem(pem)).ToList();
    }

    /// <summary>meshd is trusted through the mesh root only; its name is not checked, as the address was configured.</summary>
    private bool VerifiesToRoot(X509Certificate? presented)
    {
        if (presented == null)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.AddRange(_roots);
        return chain.Build(presented as X509Certificate2 ?? new X509Certificate2(presented));
    }
}
