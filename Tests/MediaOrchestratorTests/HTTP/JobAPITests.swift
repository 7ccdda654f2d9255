import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
@testable import MediaOrchestrator

@Suite struct JobAPITests {
    @Test func listsAndFiltersJobs() async throws {
        let f = try APIFixture("jobs-list")
        try await f.test { client in
            let all = try await client.execute(uri: "/api/jobs", method: .get, headers: f.headers(.viewer))
            #expect(Set(all.array.compactMap { $0["id"] as? String }) == [f.deadJob, f.runningJob, f.succeededJob, f.queuedJob])
            let dead = try await client.execute(uri: "/api/jobs?state=dead", method: .get, headers: f.headers(.viewer)).array
            #expect(dead.map { $0["id"] as? String } == [f.deadJob])
            #expect(dead.first?["last_error"] as? String == "clip-a.mp4: not a media file libav can read")
            #expect(dead.first?["camp"] as? String == "Kakuma" && dead.first?["handle"] as? String == "@sara")
            let shatila = try await client.execute(uri: "/api/jobs?camp=shatila", method: .get, headers: f.headers(.viewer)).array
            #expect(shatila.map { $0["id"] as? String } == [f.queuedJob])
            let bts = try await client.execute(uri: "/api/jobs?template=bts-cut&camp=Shatila", method: .get, headers: f.headers(.viewer)).array
            #expect(bts.count == 1)
            let blank = try await client.execute(uri: "/api/jobs?state=&camp=&since=&limit=", method: .get, headers: f.headers(.viewer)).array
            #expect(blank.count == 4, "blank form fields filter nothing")
            let future = try await client.execute(uri: "/api/jobs?since=2099-01-01T00:00:00Z", method: .get, headers: f.headers(.viewer)).array
            #expect(future.isEmpty)
            let recent = try await client.execute(uri: "/api/jobs?since=\(Int(Date().timeIntervalSince1970) - 600)", method: .get, headers: f.headers(.viewer)).array
            #expect(recent.count == 4)
            let newest = try await client.execute(uri: "/api/jobs?limit=2", method: .get, headers: f.headers(.viewer)).array
            #expect(newest.compactMap { $0["id"] as? String } == [f.queuedJob, f.runningJob], "newest first")
            #expect(try await client.execute(uri: "/api/jobs?limit=0", method: .get, headers: f.headers(.viewer)).status == .badRequest)
            let badState = try await client.execute(uri: "/api/jobs?state=done", method: .get, headers: f.headers(.viewer))
            #expect(badState.status == .badRequest && badState.errorMessage.contains("queued, running"))
            let badSince = try await client.execute(uri: "/api/jobs?since=yesterday", method: .get, headers: f.headers(.viewer))
            #expect(badSince.status == .badRequest && badSince.errorMessage.contains("ISO 8601"))
        }
    }

    @Test func showsAJobWithAttemptsAndOutputsForThoseWhoMayDownload() async throws {
        let f = try APIFixture("jobs-show")
        try await f.test { client in
            let editor = try await client.execute(uri: "/api/jobs/\(f.succeededJob)", method: .get, headers: f.headers(.editor)).object
            #expect((editor["job"] as? [String: Any])?["state"] as? String == "succeeded")
            #expect((editor["attempts"] as? [[String: Any]])?.first?["outcome"] as? String == "succeeded")
            let names = (editor["outputs"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(names == ["captions.en.srt", "reply.mp4", "thumb-320.jpg"], "no hidden partials, no symbolic links")
            #expect(((editor["job"] as? [String: Any])?["thumbnail_url"] as? String)?.contains("thumb-320.jpg?expires=") == true)
            let viewer = try await client.execute(uri: "/api/jobs/\(f.succeededJob)", method: .get, headers: f.headers(.viewer)).object
            #expect(viewer["outputs"] == nil && (viewer["job"] as? [String: Any])?["thumbnail_url"] == nil)
            let dead = try await client.execute(uri: "/api/jobs/\(f.deadJob)", method: .get, headers: f.headers(.viewer)).object
            #expect((dead["attempts"] as? [[String: Any]])?.first?["error"] as? String == "clip-a.mp4: not a media file libav can read")
            let missing = try await client.execute(uri: "/api/jobs/0123456789ab-nothing", method: .get, headers: f.headers(.viewer))
            #expect(missing.status == .notFound && missing.errorMessage.contains("no such job"))
            f.activity.report(job: f.runningJob, stage: "reply", RenderProgress(fraction: 0.25, position: 2.5, duration: 10, estimatedSecondsLeft: 7))
            let running = try await client.execute(uri: "/api/jobs/\(f.runningJob)", method: .get, headers: f.headers(.viewer)).object
            #expect(((running["job"] as? [String: Any])?["progress"] as? [String: Any])?["fraction"] as? Double == 0.25)
        }
    }

    @Test func retriesWithCorrectedCaptionsAndTrimAndRefusesBrokenOnes() async throws {
        let f = try APIFixture("jobs-retry")
        let archivedCaptions = URL(fileURLWithPath: try f.store.job(f.deadJob)!.archivePath).deletingLastPathComponent().appendingPathComponent("abu.en.srt")
        try await f.test { client in
            let broken = #"{"captions": [{"file": "abu.en.srt", "text": "1\n00:00:0X,100 --> 00:00:02,000\nHi\n"}]}"#
            let refused = try await client.execute(uri: "/api/jobs/\(f.deadJob)/retry", method: .post, headers: f.headers(.producer), body: .json(broken))
            #expect(refused.status == .badRequest)
            #expect(refused.errorMessage.contains("abu.en.srt line 2"), "\(refused.errorMessage)")
            #expect(try f.store.job(f.deadJob)?.state == .dead, "a refused retry changes nothing")
            #expect(try String(contentsOf: archivedCaptions, encoding: .utf8).contains("Hello"))

            let escape = #"{"captions": [{"file": "../../jobs.srt", "text": "1\n00:00:00,000 --> 00:00:01,000\nHi\n"}]}"#
            let outside = try await client.execute(uri: "/api/jobs/\(f.deadJob)/retry", method: .post, headers: f.headers(.producer), body: .json(escape))
            #expect(outside.status == .badRequest)

            let unknown = #"{"captions": [{"file": "abu.fr.srt", "text": "1\n00:00:00,000 --> 00:00:01,000\nSalut\n"}]}"#
            let notNamed = try await client.execute(uri: "/api/jobs/\(f.deadJob)/retry", method: .post, headers: f.headers(.producer), body: .json(unknown))
            #expect(notNamed.status == .badRequest && notNamed.errorMessage.contains("not one of the ticket's caption files (abu.en.srt)"))

            let fixed = #"{"trim_start": 1.5, "trim_end": 8, "captions": [{"file": "abu.en.srt", "text": "1\n00:00:00,000 --> 00:00:02,000\nCorrected\n"}]}"#
            let retried = try await client.execute(uri: "/api/jobs/\(f.deadJob)/retry", method: .post, headers: f.headers(.producer), body: .json(fixed))
            #expect(retried.status == .ok && retried.object["state"] as? String == "queued")
            let job = try #require(try f.store.job(f.deadJob))
            #expect(job.trimStart == 1.5 && job.trimEnd == 8)
            #expect(try String(contentsOf: archivedCaptions, encoding: .utf8).contains("Corrected"))

            let busy = try await client.execute(uri: "/api/jobs/\(f.runningJob)/retry", method: .post, headers: f.headers(.producer))
            #expect(busy.status == .conflict && busy.errorMessage.contains("only a finished job"))
            let badTrim = try await client.execute(uri: "/api/jobs/\(f.succeededJob)/retry", method: .post, headers: f.headers(.producer),
                                                   body: .json(#"{"trim_start": 5, "trim_end": 2}"#))
            #expect(badTrim.status == .badRequest && badTrim.errorMessage.contains("must come after"))
            let notJSON = try await client.execute(uri: "/api/jobs/\(f.succeededJob)/retry", method: .post, headers: f.headers(.producer), body: .json("{trim"))
            #expect(notJSON.status == .badRequest)
            let missing = try await client.execute(uri: "/api/jobs/ffffffffffff-twitter-reply/retry", method: .post, headers: f.headers(.producer))
            #expect(missing.status == .notFound)
        }
    }

    @Test func cancelsQueuedAndRunningJobs() async throws {
        let f = try APIFixture("jobs-cancel")
        try await f.test { client in
            let cancelled = try await client.execute(uri: "/api/jobs/\(f.queuedJob)/cancel", method: .post, headers: f.headers(.producer))
            #expect(cancelled.status == .ok && cancelled.object["state"] as? String == "cancelled")
            let again = try await client.execute(uri: "/api/jobs/\(f.queuedJob)/cancel", method: .post, headers: f.headers(.producer))
            #expect(again.status == .conflict && again.errorMessage.contains("already cancelled"))
            #expect(try await client.execute(uri: "/api/jobs/\(f.runningJob)/cancel", method: .post, headers: f.headers(.producer)).status == .ok)
            #expect(try f.store.job(f.runningJob)?.state == .cancelled)
        }
    }

    @Test func editorsAskForCutsOfArchivedOriginals() async throws {
        let f = try APIFixture("jobs-cuts")
        try await f.test { client in
            let cut = try await client.execute(uri: "/api/jobs/\(f.succeededJob)/cuts", method: .post, headers: f.headers(.editor),
                                               body: .json(#"{"start": 12.5, "end": 40, "captions": true}"#))
            #expect(cut.status == .created)
            let id = try #require(cut.object["id"] as? String)
            #expect(id == "cccccccccccc-bts-cut-captioned-12500-40000")
            let job = try #require(try f.store.job(id))
            #expect(job.template == "bts-cut-captioned" && job.trimStart == 12.5 && job.trimEnd == 40)
            #expect(job.parentId == f.succeededJob && job.priority == JobPriority.background.rawValue)
            #expect(job.archivePath == (try f.store.job(f.succeededJob)?.archivePath), "the cut is made from the archived original")
            let same = try await client.execute(uri: "/api/jobs/\(f.succeededJob)/cuts", method: .post, headers: f.headers(.editor),
                                                body: .json(#"{"start": 12.5, "end": 40, "captions": true}"#))
            #expect(same.status == .ok && same.object["id"] as? String == id)
            let plain = try await client.execute(uri: "/api/jobs/\(f.succeededJob)/cuts", method: .post, headers: f.headers(.editor),
                                                 body: .json(#"{"start": 0}"#))
            #expect(plain.status == .created && plain.object["id"] as? String == "cccccccccccc-bts-cut-0-end")
            let backwards = try await client.execute(uri: "/api/jobs/\(f.succeededJob)/cuts", method: .post, headers: f.headers(.editor),
                                                     body: .json(#"{"start": 30, "end": 10}"#))
            #expect(backwards.status == .badRequest && backwards.errorMessage.contains("must come after"))
            for body in [#"{"start": 1e300}"#, #"{"start": 0, "end": 1e300}"#, #"{"start": -1}"#] {
                let huge = try await client.execute(uri: "/api/jobs/\(f.succeededJob)/cuts", method: .post, headers: f.headers(.editor), body: .json(body))
                #expect(huge.status == .badRequest && huge.errorMessage.contains("24 h"), "\(body): \(huge.status)")
            }
            let unknown = try await client.execute(uri: "/api/jobs/ffffffffffff-x/cuts", method: .post, headers: f.headers(.editor), body: .json("{}"))
            #expect(unknown.status == .notFound)
        }
    }
}
