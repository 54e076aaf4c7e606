using System.Buffers;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Meshwork.Proxy.Listeners;

/// <summary>
/// Lets one plaintext port speak HTTP/1.1 and prior-knowledge HTTP/2 (h2c), as Envoy's AUTO codec
/// does. Kestrel picks HTTP/1.1 on any cleartext Http1AndHttp2 endpoint because it decides by ALPN,
/// so a connection that opens with the HTTP/2 preface is given an ALPN of "h2" before Kestrel looks.
/// Nothing is consumed: the preface stays in the transport for Kestrel to read.
/// </summary>
internal static class CleartextHttp2
{
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    /// <summary>True when the connection starts with the HTTP/2 preface; false at the first byte that differs or at end of input.</summary>
    public static async ValueTask<bool> StartsWithPrefaceAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        while (true)
        {
            var result = await input.ReadAsync(connection.ConnectionClosed).ConfigureAwait(false);
            var buffer = result.Buffer;
            var verdict = Compare(buffer);
            input.AdvanceTo(buffer.Start, verdict == null ? buffer.End : buffer.Start);
            if (verdict is { } answer)
            {
                return answer;
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                return false;
            }
        }
    }

    /// <summary>true: the preface; false: not it; null: a prefix of it so far.</summary>
    internal static bool? Compare(ReadOnlySequence<byte> buffer)
    {
        var length = (int)Math.Min(buffer.Length, Preface.Length);
        Span<byte> head = stackalloc byte[24];
        buffer.Slice(0, length).CopyTo(head);
        if (!head[..length].SequenceEqual(Preface.AsSpan(0, length)))
        {
            return false;
        }

        return length == Preface.Length ? true : null;
    }

    /// <summary>Marks the connection so Kestrel's protocol selection chooses HTTP/2.</summary>
    public static void SelectHttp2(ConnectionContext connection)
    {
        var feature = new PriorKnowledgeFeature();
        connection.Features.Set<ITlsConnectionFeature>(feature);
        connection.Features.Set<ITlsApplicationProtocolFeature>(feature);
    }

    private sealed class PriorKnowledgeFeature : ITlsConnectionFeature, ITlsApplicationProtocolFeature
    {
        public X509Certificate2? ClientCertificate { get; set; }

        public ReadOnlyMemory<byte> ApplicationProtocol => "h2"u8.ToArray();

        public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult<X509Certificate2?>(null);
    }
}
