/*
Schema of the TEST installer's core STAND-IN (harbor_ha.cluster tests/installer), written for the
tests: the tables the stand-ins read and write, with the columns Harbor 2.x's own migrations
leave them with, and Harbor's initial rows (the admin without a password, library, the roles).
tests/unit/installer/test_contract2.py compares them with Harbor's migrations when present.
*/
CREATE TABLE role (
 role_id SERIAL PRIMARY KEY NOT NULL,
 role_mask int DEFAULT 0 NOT NULL,
 role_code varchar(20),
 name varchar(20)
);
INSERT INTO role (role_code, name) VALUES
('MDRWS', 'projectAdmin'), ('RWS', 'developer'), ('RS', 'guest'), ('DRWS', 'master'), ('LRS', 'limitedGuest');

CREATE TABLE harbor_user (
 user_id SERIAL PRIMARY KEY NOT NULL,
 username varchar(255) UNIQUE,
 email varchar(255) UNIQUE,
 password varchar(40) NOT NULL,
 realname varchar(255) NOT NULL,
 comment varchar(30),
 deleted boolean DEFAULT false NOT NULL,
 reset_uuid varchar(40) DEFAULT NULL,
 salt varchar(40) DEFAULT NULL,
 sysadmin_flag boolean DEFAULT false NOT NULL,
 creation_time timestamp DEFAULT CURRENT_TIMESTAMP,
 update_time timestamp DEFAULT CURRENT_TIMESTAMP,
 password_version varchar(16) DEFAULT 'sha256'
);
INSERT INTO harbor_user (username, password, realname, comment, deleted, sysadmin_flag) VALUES
('admin', '', 'system admin', 'admin user', false, true),
('anonymous', '', 'anonymous user', 'anonymous user', true, false);

CREATE TABLE project (
 project_id SERIAL PRIMARY KEY NOT NULL,
 owner_id int NOT NULL REFERENCES harbor_user(user_id),
 name varchar(255) NOT NULL UNIQUE,
 creation_time timestamp DEFAULT CURRENT_TIMESTAMP,
 update_time timestamp DEFAULT CURRENT_TIMESTAMP,
 deleted boolean DEFAULT false NOT NULL,
 registry_id int
);
INSERT INTO project (owner_id, name) VALUES (1, 'library');

CREATE TABLE project_member (
 id SERIAL PRIMARY KEY NOT NULL,
 project_id int NOT NULL,
 entity_id int NOT NULL,
 entity_type char(1) NOT NULL,
 role int NOT NULL,
 creation_time timestamp DEFAULT CURRENT_TIMESTAMP,
 update_time timestamp DEFAULT CURRENT_TIMESTAMP,
 CONSTRAINT unique_project_entity_type UNIQUE (project_id, entity_id, entity_type)
);
INSERT INTO project_member (project_id, entity_id, role, entity_type) VALUES (1, 1, 1, 'u');

CREATE TABLE project_metadata (
 id SERIAL PRIMARY KEY NOT NULL,
 project_id int NOT NULL REFERENCES project(project_id),
 name varchar(255) NOT NULL,
 value varchar(255),
 creation_time timestamp DEFAULT CURRENT_TIMESTAMP,
 update_time timestamp DEFAULT CURRENT_TIMESTAMP,
 CONSTRAINT unique_project_id_and_name UNIQUE (project_id, name)
);
INSERT INTO project_metadata (project_id, name, value) VALUES (1, 'public', 'true');

CREATE TABLE repository (
 repository_id SERIAL PRIMARY KEY NOT NULL,
 name varchar(255) NOT NULL UNIQUE,
 project_id int NOT NULL,
 description text,
 pull_count int DEFAULT 0 NOT NULL,
 star_count int DEFAULT 0 NOT NULL,
 creation_time timestamp DEFAULT CURRENT_TIMESTAMP,
 update_time timestamp DEFAULT CURRENT_TIMESTAMP
);
