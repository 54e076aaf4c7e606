using System.IO.Pipelines;

namespace Meshwork.Proxy.Connections;

/// <summary>
/// The tls_inspector on a Kestrel transport: reads until the ClientHello is complete (or the bytes
/// are not TLS), consuming nothing, so whoever reads next (SslStream, the TCP proxy, Kestrel's HTTP
/// parser) sees the connection from its first byte. Envoy bounds this wait with
/// listener_filters_timeout (15 s); the caller's token carries that bound.
/// </summary>
public static class ClientHelloPeek
{
    public static async ValueTask<ClientHello> PeekAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var hello = ClientHelloReader.Read(buffer);
            if (hello.Status != ClientHelloStatus.NeedMoreData || result.IsCompleted || result.IsCanceled)
            {
                // Nothing consumed and nothing examined: the next ReadAsync returns these bytes at once
                // instead of waiting for more, which the client would never send before our ServerHello.
                input.AdvanceTo(buffer.Start);
                return hello.Status == ClientHelloStatus.NeedMoreData ? ClientHello.NotTls : hello;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
