/// The dashboard's files and the OpenAPI document, compiled into the binary (SwiftPM's
/// embedInCode): no build step, nothing to install beside the executable.
enum DashboardAssets {
    static var page: [UInt8] { PackageResources.index_html }
    static var style: [UInt8] { PackageResources.dashboard_css }
    static var script: [UInt8] { PackageResources.dashboard_js }
    static var openAPI: [UInt8] { PackageResources.openapi_json }
    static var fieldPage: [UInt8] { PackageResources.field_html }
    static var fieldStyle: [UInt8] { PackageResources.field_css }
    static var fieldScript: [UInt8] { PackageResources.field_js }
    /// Mediabunny's bundle, gzipped as vendored: served as it is to a browser that takes gzip.
    static var mediabunnyGzip: [UInt8] { PackageResources.mediabunny_min_mjs_gz }
    static let mediabunnyTag = "\"" + ContentDigest.sha256(bytes: PackageResources.mediabunny_min_mjs_gz).prefix(16) + "\""
}
