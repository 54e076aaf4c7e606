using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Envoy.Config.Core.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;

namespace Meshwork.Proxy.Connections;

/// <summary>
/// Reads the certificates and keys a TLS context names (Envoy DataSource: a file, inline bytes or
/// string, or an environment variable) when config is applied, so a missing or bad file is a NACK
/// naming the chain and path instead of a failed handshake later.
/// </summary>
internal static class TlsDataSources
{
    public static string ReadText(DataSource? source, string where)
    {
        switch (source?.SpecifierCase ?? DataSource.SpecifierOneofCase.None)
        {
            case DataSource.SpecifierOneofCase.Filename:
                try
                {
                    return File.ReadAllText(source!.Filename);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
                {
                    throw new ProxyConfigException($"{where}: cannot read \"{source!.Filename}\": {e.Message}");
                }

            case DataSource.SpecifierOneofCase.InlineString:
                return source!.InlineString;
            case DataSource.SpecifierOneofCase.InlineBytes:
                return Encoding.UTF8.GetString(source!.InlineBytes.Span);
            case DataSource.SpecifierOneofCase.EnvironmentVariable:
                return Environment.GetEnvironmentVariable(source!.EnvironmentVariable)
                    ?? throw new ProxyConfigException($"{where}: environment variable \"{source.EnvironmentVariable}\" is not set");
            default:
                throw new ProxyConfigException($"{where}: no data source given");
        }
    }

    /// <summary>Where a data source points, for messages: the path, the variable, or "inline".</summary>
    public static string Describe(DataSource? source) => source?.SpecifierCase switch
    {
        DataSource.SpecifierOneofCase.Filename => $"\"{source.Filename}\"",
        DataSource.SpecifierOneofCase.EnvironmentVariable => $"${source.EnvironmentVariable}",
        _ => "inline",
    };

    /// <summary>
    /// A certificate chain and its key as SslStream serves them: the leaf re-exported through PKCS#12
    /// (a PEM-loaded key is ephemeral, which SslStream cannot use on every platform) and the rest of
    /// the chain sent along as intermediates.
    /// </summary>
    public static ServerCertificate LoadCertificate(TlsCertificate certificate, string where)
    {
        var chainPem = ReadText(certificate.CertificateChain, $"{where}.certificate_chain");
        var keyPem = ReadText(certificate.PrivateKey, $"{where}.private_key");
        var password = certificate.Password != null ? ReadText(certificate.Password, $"{where}.password") : null;
        try
        {
            using var pemLoaded = password == null ? X509Certificate2.CreateFromPem(chainPem, keyPem) : X509Certificate2.CreateFromEncryptedPem(chainPem, keyPem, password);
            var leaf = X509CertificateLoader.LoadPkcs12(pemLoaded.Export(X509ContentType.Pkcs12), null);
            var all = new X509Certificate2Collection();
            all.ImportFromPem(chainPem);
            var intermediates = new X509Certificate2Collection();
            for (var i = 1; i < all.Count; i++)
            {
                intermediates.Add(all[i]);
            }

            return new ServerCertificate(leaf, intermediates);
        }
        catch (CryptographicException e)
        {
            throw new ProxyConfigException($"{where}: certificate {Describe(certificate.CertificateChain)} with key {Describe(certificate.PrivateKey)}: {e.Message}");
        }
    }

    public static X509Certificate2Collection LoadTrustedCa(DataSource source, string where)
    {
        var pem = ReadText(source, where);
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPem(pem);
        }
        catch (CryptographicException e)
        {
            throw new ProxyConfigException($"{where} {Describe(source)}: {e.Message}");
        }

        return collection.Count > 0 ? collection : throw new ProxyConfigException($"{where} {Describe(source)}: no PEM certificates found");
    }
}

/// <summary>A serving certificate: the leaf with its key, its intermediates, and the DNS names it covers (to choose one by SNI).</summary>
internal sealed class ServerCertificate
{
    public ServerCertificate(X509Certificate2 leaf, X509Certificate2Collection intermediates)
    {
        Leaf = leaf;
        Context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
        var names = new List<string>();
        foreach (var extension in leaf.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                names.AddRange(san.EnumerateDnsNames());
            }
        }

        DnsNames = names.ToArray();
    }

    public X509Certificate2 Leaf { get; }

    public SslStreamCertificateContext Context { get; }

    public string[] DnsNames { get; }

    /// <summary>Whether the certificate covers the name: exactly, or through a <c>*.</c> wildcard of one label.</summary>
    public bool Covers(string serverName)
    {
        foreach (var name in DnsNames)
        {
            if (string.Equals(name, serverName, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (name.StartsWith("*.", StringComparison.Ordinal))
            {
                var dot = serverName.IndexOf('.');
                if (dot > 0 && serverName.AsSpan(dot).Equals(name.AsSpan(1), StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
