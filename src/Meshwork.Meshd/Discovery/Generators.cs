using Meshwork.Pilot.Generators;
using Meshwork.Pilot.Generators.Clusters;
using Meshwork.Pilot.Generators.Endpoints;
using Meshwork.Pilot.Generators.Listeners;
using Meshwork.Pilot.Generators.Routes;

namespace Meshwork.Meshd.Discovery;

/// <summary>The xDS generators meshd serves, one per type.</summary>
public static class Generators
{
    public static void Register(IServiceCollection services)
    {
        services.AddSingleton<IResourceGenerator, ClusterGenerator>();
        services.AddSingleton<IResourceGenerator, EndpointGenerator>();
        services.AddSingleton<IResourceGenerator, ListenerGenerator>();
        services.AddSingleton<IResourceGenerator, RouteGenerator>();
    }
}
