using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Citadel;

/// <summary>
/// Where the CA lives: <c>--ca-dir</c> in Istio's plug-in layout (<c>ca-cert.pem</c>, <c>ca-key.pem</c>,
/// <c>root-cert.pem</c>, <c>cert-chain.pem</c>). When those files are there they are used, whoever wrote
/// them; when the directory has none, a self-signed root is created and written in the same layout,
/// so the next start finds the same root.
/// </summary>
public static class CaStore
{
    public const string CertFile = "ca-cert.pem";
    public const string KeyFile = "ca-key.pem";
    public const string RootFile = "root-cert.pem";
    public const string ChainFile = "cert-chain.pem";

    /// <summary>Istio's CITADEL_SELF_SIGNED_CA_CERT_TTL.</summary>
    public static readonly TimeSpan DefaultRootTtl = TimeSpan.FromDays(3650);

    public static CertificateAuthority LoadOrCreate(string directory, string trustDomain, CaKeyType keyType, DateTimeOffset now, TimeSpan? rootTtl = null)
    {
        Directory.CreateDirectory(directory);
        var cert = Path.Combine(directory, CertFile);
        var key = Path.Combine(directory, KeyFile);
        if (File.Exists(cert) || File.Exists(key))
        {
            return Load(directory);
        }

        Create(directory, trustDomain, keyType, now, rootTtl ?? DefaultRootTtl);
        return Load(directory);
    }

    /// <summary>Loads Istio's layout; throws <see cref="CaLoadException"/> with the file and reason when it is incomplete or inconsistent.</summary>
    public static CertificateAuthority Load(string directory)
    {
        var certPath = Path.Combine(directory, CertFile);
        var keyPath = Path.Combine(directory, KeyFile);
        var rootPath = Path.Combine(directory, RootFile);
        var chainPath = Path.Combine(directory, ChainFile);
        foreach (var required in new[] { certPath, keyPath, rootPath })
        {
            if (!File.Exists(required))
            {
                throw new CaLoadException($"{required}: missing (the CA needs {CertFile}, {KeyFile} and {RootFile}; {ChainFile} is optional)");
            }
        }

        var signing = ReadCertificates(certPath).FirstOrDefault() ?? throw new CaLoadException($"{certPath}: no certificate");
        var keyPem = File.ReadAllText(keyPath);
        AsymmetricAlgorithm key = signing.GetKeyAlgorithm() == "1.2.840.10045.2.1" ? ECDsa.Create() : RSA.Create();
        try
        {
            key.ImportFromPem(keyPem);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            key.Dispose();
            throw new CaLoadException($"{keyPath}: not a private key for {certPath}: {e.Message}");
        }

        if (!KeyMatches(signing, key))
        {
            key.Dispose();
            throw new CaLoadException($"{keyPath}: the key does not belong to the certificate in {certPath}");
        }

        var roots = ReadCertificates(rootPath);
        if (roots.Count == 0)
        {
            throw new CaLoadException($"{rootPath}: no certificate");
        }

        var chain = File.Exists(chainPath) ? ReadCertificates(chainPath) : [];
        var pluggedIn = signing.Subject != signing.Issuer || roots.All(r => r.Thumbprint != signing.Thumbprint);
        if (!ChainsToRoot(signing, chain, roots))
        {
            throw new CaLoadException($"{certPath}: does not chain to a certificate in {rootPath}");
        }

        return new CertificateAuthority(signing, key, chain, roots, pluggedIn);
    }

    private static void Create(string directory, string trustDomain, CaKeyType keyType, DateTimeOffset now, TimeSpan ttl)
    {
        using AsymmetricAlgorithm key = keyType == CaKeyType.Rsa2048 ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedName($"O={trustDomain}, CN=Meshwork CA");
        var request = key is ECDsa ecdsa ? new CertificateRequest(subject, ecdsa, HashAlgorithmName.SHA256) : new CertificateRequest(subject, (RSA)key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        using var root = request.CreateSelfSigned(now.AddMinutes(-1), now + ttl);
        var pem = root.ExportCertificatePem() + "\n";
        WriteAtomically(Path.Combine(directory, KeyFile), key is ECDsa e ? e.ExportPkcs8PrivateKeyPem() + "\n" : ((RSA)key).ExportPkcs8PrivateKeyPem() + "\n", secret: true);
        WriteAtomically(Path.Combine(directory, RootFile), pem, secret: false);
        WriteAtomically(Path.Combine(directory, ChainFile), string.Empty, secret: false);
        WriteAtomically(Path.Combine(directory, CertFile), pem, secret: false);
    }

    private static void WriteAtomically(string path, string content, bool secret)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, content);
        if (secret && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temp, path, overwrite: true);
    }

    private static List<X509Certificate2> ReadCertificates(string path)
    {
        var collection = new X509Certificate2Collection();
        var text = File.ReadAllText(path);
        if (text.Trim().Length > 0)
        {
            try
            {
                collection.ImportFromPem(text);
            }
            catch (CryptographicException e)
            {
                throw new CaLoadException($"{path}: not PEM certificates: {e.Message}");
            }
        }

        return collection.ToList();
    }

    private static bool KeyMatches(X509Certificate2 certificate, AsymmetricAlgorithm key) => key switch
    {
        ECDsa ecdsa => certificate.GetECDsaPublicKey()?.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(ecdsa.ExportSubjectPublicKeyInfo()) == true,
        RSA rsa => certificate.GetRSAPublicKey()?.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(rsa.ExportSubjectPublicKeyInfo()) == true,
        _ => false,
    };

    private static bool ChainsToRoot(X509Certificate2 signing, IReadOnlyList<X509Certificate2> chain, IReadOnlyList<X509Certificate2> roots)
    {
        using var verifier = new X509Chain();
        verifier.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        verifier.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        verifier.ChainPolicy.CustomTrustStore.AddRange(roots.ToArray());
        verifier.ChainPolicy.ExtraStore.AddRange(chain.ToArray());
        verifier.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid;
        return verifier.Build(signing);
    }
}

/// <summary>The CA's files cannot be used; the message names the file and the reason.</summary>
public sealed class CaLoadException(string message) : Exception(message);
