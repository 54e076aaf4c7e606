using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Meshwork.Proxy.Connections;
using Microsoft.Extensions.Primitives;
using Mode = Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManager.Types.ForwardClientCertDetails;

namespace Meshwork.Proxy.Http;

/// <summary>
/// Envoy's <c>x-forwarded-client-cert</c> handling (forward_client_cert_details with
/// set_current_client_cert_details), compiled from the HCM. ALWAYS_FORWARD_ONLY passes the header
/// on untouched; SANITIZE, and every other mode on a connection without a client certificate,
/// removes it, so a header a plaintext client wrote never reaches the app; FORWARD_ONLY passes it;
/// APPEND_FORWARD appends this connection's element after a comma, SANITIZE_SET replaces the header
/// with it. The element: <c>By=</c>our URI SANs, <c>Hash=</c>, then the details asked for in
/// Envoy's order Subject, URI, Cert, Chain, DNS, joined by <c>;</c>.
/// </summary>
internal sealed class ClientCertForwarding
{
    public const string Header = "x-forwarded-client-cert";

    private readonly Mode _mode;
    private readonly bool _subject;
    private readonly bool _uri;
    private readonly bool _cert;
    private readonly bool _chain;
    private readonly bool _dns;
    private readonly Func<DownstreamPeer, string> _element;

    public ClientCertForwarding(HttpConnectionManager manager)
    {
        _mode = manager.ForwardClientCertDetails;
        var details = manager.SetCurrentClientCertDetails;
        _subject = details?.Subject == true;
        _uri = details?.Uri == true;
        _cert = details?.Cert == true;
        _chain = details?.Chain == true;
        _dns = details?.Dns == true;
        _element = Element;
    }

    public void Apply(IHeaderDictionary headers, DownstreamPeer? peer)
    {
        if (_mode == Mode.AlwaysForwardOnly)
        {
            return;
        }

        if (_mode == Mode.Sanitize || peer == null)
        {
            headers.Remove(Header);
            return;
        }

        if (_mode == Mode.ForwardOnly)
        {
            return;
        }

        var element = peer.XfccElement(this, _element);
        if (_mode == Mode.AppendForward && headers.TryGetValue(Header, out var existing) && !StringValues.IsNullOrEmpty(existing))
        {
            headers[Header] = string.Join(',', existing.ToArray()) + "," + element;
        }
        else
        {
            headers[Header] = element;
        }
    }

    /// <summary>This manager's element for <paramref name="peer"/>; built once per connection (the peer caches it).</summary>
    private string Element(DownstreamPeer peer)
    {
        var parts = new List<string>(8);
        parts.AddRange(peer.LocalUriSans.Select(uri => "By=" + uri));
        parts.Add("Hash=" + peer.Sha256);
        if (_subject)
        {
            // Present even when the subject is empty, as in Envoy.
            parts.Add($"Subject=\"{peer.Subject}\"");
        }

        if (_uri)
        {
            parts.AddRange(peer.UriSans.Count > 0 ? peer.UriSans.Select(uri => "URI=" + uri) : ["URI="]);
        }

        if (_cert)
        {
            parts.Add($"Cert=\"{peer.UrlEncodedPem}\"");
        }

        if (_chain)
        {
            // The peer chain as the handshake received it is not kept; the leaf is the chain a mesh client sends.
            parts.Add($"Chain=\"{peer.UrlEncodedPem}\"");
        }

        parts.AddRange(peer.DnsSans.Select(dns => "DNS=" + dns));
        return string.Join(';', parts);
    }
}
