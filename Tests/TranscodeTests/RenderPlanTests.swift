import Testing
@testable import Transcode

@Suite struct RenderPlanTests {
    @Test func canvasFollowsTheDisplayedShape() {
        #expect(RenderPlan.canvas(forAspect: 9.0 / 16) == .init(width: 720, height: 1280))
        #expect(RenderPlan.canvas(forAspect: 16.0 / 9) == .init(width: 1280, height: 720))
        #expect(RenderPlan.canvas(forAspect: 1.0) == .init(width: 720, height: 720))
        #expect(RenderPlan.canvas(forAspect: 4.0 / 3) == .init(width: 1280, height: 720))
    }

    @Test func fittingPadsInsteadOfCropping() {
        // 4:3 in a 16:9 frame: full height, narrower picture, even sizes.
        #expect(RenderPlan.fit(aspect: 4.0 / 3, in: .init(width: 1280, height: 720)) == .init(width: 960, height: 720))
        // 21:9 in 16:9: full width, letterboxed.
        #expect(RenderPlan.fit(aspect: 21.0 / 9, in: .init(width: 1280, height: 720)) == .init(width: 1280, height: 548))
        // An odd source shape still gives even sizes.
        let odd = RenderPlan.fit(aspect: 639.0 / 359, in: .init(width: 1280, height: 720))
        #expect(odd.width % 2 == 0 && odd.height % 2 == 0)
    }

    @Test func rotationFollowsFFprobesSign() {
        #expect(RenderPlan.rotationFilters(-90) == ["transpose=clock"])
        #expect(RenderPlan.rotationFilters(90) == ["transpose=cclock"])
        #expect(RenderPlan.rotationFilters(180) == ["hflip", "vflip"])
        #expect(RenderPlan.rotationFilters(0).isEmpty)
    }
}
