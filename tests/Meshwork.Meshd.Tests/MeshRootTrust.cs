using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Meshd.Tests;

/// <summary>A TLS client check that trusts meshd's certificate only through the mesh root(s) given.</summary>
internal static class MeshRootTrust
{
    public static RemoteCertificateValidationCallback Only(X509Certificate2Collection roots, Action<X509Certificate2?>? seen = null) =>
        (_, certificate, chain, errors) =>
        {
            seen?.Invoke(certificate as X509Certificate2);
            if (certificate is not X509Certificate2 leaf || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
            {
                return false;
            }

            using var verifier = new X509Chain();
            verifier.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            verifier.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            verifier.ChainPolicy.CustomTrustStore.AddRange(roots);
            verifier.ChainPolicy.ExtraStore.AddRange(chain!.ChainPolicy.ExtraStore);
            return verifier.Build(leaf);
        };
}
