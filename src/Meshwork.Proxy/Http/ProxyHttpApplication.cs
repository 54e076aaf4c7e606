using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Abstractions;
using Microsoft.AspNetCore.Http.Features;

namespace Meshwork.Proxy.Http;

/// <summary>
/// Kestrel's entry into the proxy: one <see cref="DefaultHttpContext"/> per connection, reused for
/// each of its requests (Kestrel keeps it in <see cref="IHostContextContainer{TContext}"/>), and
/// straight into the request path, without the general ASP.NET pipeline.
/// </summary>
internal sealed class ProxyHttpApplication(Func<HttpContext, Task> handle) : IHttpApplication<HttpContext>
{
    public HttpContext CreateContext(IFeatureCollection contextFeatures)
    {
        if (contextFeatures is IHostContextContainer<HttpContext> container)
        {
            if (container.HostContext is DefaultHttpContext reused)
            {
                reused.Initialize(contextFeatures);
                return reused;
            }

            var created = new DefaultHttpContext(contextFeatures);
            container.HostContext = created;
            return created;
        }

        return new DefaultHttpContext(contextFeatures);
    }

    public Task ProcessRequestAsync(HttpContext context) => handle(context);

    public void DisposeContext(HttpContext context, Exception? exception)
    {
        if (context is DefaultHttpContext pooled)
        {
            pooled.Uninitialize();
        }
    }
}
